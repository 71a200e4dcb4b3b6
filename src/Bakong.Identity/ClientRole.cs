namespace Bakong.Identity;

/// <summary>What a client of the gateway is, and so what it may do.</summary>
public enum ClientRole
{
    /// <summary>A POS terminal: payments of the terminal ids it is bound to.</summary>
    Terminal = 1,

    /// <summary>A self-service kiosk page: like a terminal, bound to one or more terminal ids.</summary>
    Kiosk = 2,

    /// <summary>The shop's operator: every terminal, and the admin API.</summary>
    Operator = 3,
}

/// <summary>The roles' names as the CLI, the admin API and the audit write them.</summary>
public static class ClientRoleNames
{
    public static string Name(ClientRole role) => role switch
    {
        ClientRole.Terminal => "terminal",
        ClientRole.Kiosk => "kiosk",
        ClientRole.Operator => "operator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown client role."),
    };

    public static bool TryParse(string? name, out ClientRole role)
    {
        role = name?.Trim().ToLowerInvariant() switch
        {
            "terminal" => ClientRole.Terminal,
            "kiosk" => ClientRole.Kiosk,
            "operator" => ClientRole.Operator,
            _ => default,
        };
        return role != default;
    }
}
