using System.Buffers;
using System.Globalization;

namespace Bakong.Identity;

/// <summary>A client to add: what the CLI and the admin API are given, checked by <see cref="Check"/>.</summary>
/// <param name="Role">What it is.</param>
/// <param name="TerminalIds">The terminals a terminal or kiosk is bound to (at least one); none for an operator.</param>
/// <param name="Name">A label for people ("Till 1"); optional.</param>
public sealed record ClientRegistration(ClientRole Role, IReadOnlyList<string> TerminalIds, string? Name)
{
    public const int MaxTerminals = 32;

    public const int MaxNameLength = 100;

    /// <summary>
    /// A terminal id's longest form and its characters: the payments' own rule for a <c>terminal_id</c>
    /// (<c>Bakong.Payments.Identifier</c>, <c>PaymentLimits.TerminalId</c>), which this project cannot reference; a
    /// gateway test checks they agree.
    /// </summary>
    public const int MaxTerminalIdLength = 64;

    public const string TerminalIdAlphabet = "A-Z a-z 0-9 - _ . :";

    /// <summary>The thumbprint of the TLS client certificate to bind the client to (<see cref="ClientCertificate"/>); null for none.</summary>
    public string? CertificateThumbprint { get; init; }

    private static readonly SearchValues<char> s_terminalIdCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    /// <summary>What is wrong, as (field, reason) pairs that never echo the value; empty when nothing is.</summary>
    public IReadOnlyList<(string Field, string Reason)> Check()
    {
        var violations = new List<(string, string)>();
        if (!Enum.IsDefined(Role))
        {
            violations.Add(("role", "must be terminal, kiosk or operator"));
        }

        var terminals = TerminalIds ?? [];
        if (Role == ClientRole.Operator && terminals.Count > 0)
        {
            violations.Add(("terminal_ids", "an operator has every terminal: give none"));
        }
        else if (Role is ClientRole.Terminal or ClientRole.Kiosk && terminals.Count == 0)
        {
            violations.Add(("terminal_ids", "a terminal or kiosk needs at least one terminal id"));
        }

        if (terminals.Count > MaxTerminals)
        {
            violations.Add(("terminal_ids", string.Create(CultureInfo.InvariantCulture, $"{terminals.Count} terminal ids, at most {MaxTerminals}")));
        }
        else
        {
            for (var i = 0; i < terminals.Count; i++)
            {
                if (CheckTerminalId(terminals[i]) is { } reason)
                {
                    violations.Add((string.Create(CultureInfo.InvariantCulture, $"terminal_ids[{i}]"), reason));
                }
            }
        }

        if (Name is { Length: > MaxNameLength })
        {
            violations.Add(("name", string.Create(CultureInfo.InvariantCulture, $"{Name.Length} characters, at most {MaxNameLength}")));
        }
        else if (Name is not null && Name.Any(char.IsControl))
        {
            violations.Add(("name", "no control characters (line breaks, tabs)"));
        }

        if (CertificateThumbprint is not null && !ClientCertificate.IsThumbprint(CertificateThumbprint))
        {
            violations.Add(("certificate", "not a SHA-256 thumbprint (64 upper-case hex digits)"));
        }

        return violations;
    }

    /// <summary>Why <paramref name="terminalId"/> is not a terminal id; null when it is one.</summary>
    public static string? CheckTerminalId(string? terminalId)
    {
        if (string.IsNullOrEmpty(terminalId))
        {
            return "required";
        }

        if (terminalId.Length > MaxTerminalIdLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{terminalId.Length} characters, at most {MaxTerminalIdLength}");
        }

        return terminalId.AsSpan().ContainsAnyExcept(s_terminalIdCharacters) ? "only the characters " + TerminalIdAlphabet + " are allowed" : null;
    }
}
