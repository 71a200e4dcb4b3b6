namespace Bakong.Gateway.Access;

/// <summary>Authentication's log events (2520–2539). A key is never logged: at most the client id it names.</summary>
internal static partial class AccessLog
{
    [LoggerMessage(EventId = 2520, EventName = "AuthNone", Level = LogLevel.Warning,
        Message = "Auth:Mode is None ({Why}): every caller may create, see and cancel every terminal's payment. Set Auth:Mode=ApiKeys and add clients with 'bakong clients add' before the gateway leaves loopback.")]
    public static partial void AuthNone(ILogger logger, string why);

    [LoggerMessage(EventId = 2521, EventName = "AuthApiKeys", Level = LogLevel.Information,
        Message = "Callers need an API key (Auth:Mode ApiKeys); {ActiveClients} active clients in {ClientsPath}")]
    public static partial void AuthApiKeys(ILogger logger, int activeClients, string clientsPath);

    [LoggerMessage(EventId = 2522, EventName = "NoClients", Level = LogLevel.Warning,
        Message = "Auth:Mode is ApiKeys but there are no active clients: every call but health is refused. Stop the gateway and run 'bakong clients add --role operator' (and one per terminal).")]
    public static partial void NoClients(ILogger logger);

    [LoggerMessage(EventId = 2523, EventName = "Unauthenticated", Level = LogLevel.Information,
        Message = "Refused {Method} from {Peer}: no valid API key (client id named: {ClaimedClientId})")]
    public static partial void Unauthenticated(ILogger logger, string method, string claimedClientId, string peer);

    [LoggerMessage(EventId = 2524, EventName = "NotOperator", Level = LogLevel.Information,
        Message = "Refused {Method} from {Peer}: client {ClientId} is not an operator")]
    public static partial void NotOperator(ILogger logger, string method, string clientId, string peer);

    [LoggerMessage(EventId = 2525, EventName = "CertificateMismatch", Level = LogLevel.Information,
        Message = "Refused {Method} from {Peer}: client {ClientId} is bound to a TLS client certificate; the connection presented {Presented}")]
    public static partial void CertificateMismatch(ILogger logger, string method, string clientId, string presented, string peer);
}
