using Bakong.OpenApi.Client;

namespace Bakong.Gateway.Configuration;

/// <summary>Start-up checks of the network, the merchant account and the data directory (2570–2579).</summary>
internal static partial class NetworkLog
{
    [LoggerMessage(EventId = 2570, EventName = "PlaintextOffLoopback", Level = LogLevel.Warning,
        Message = "Serving plaintext off loopback ({Endpoints}; {Why}): API keys, payments and QRs cross the network unencrypted. Use https endpoints with a certificate (docs/security.md).")]
    public static partial void PlaintextOffLoopback(ILogger logger, string endpoints, string why);

    [LoggerMessage(EventId = 2571, EventName = "AllowedHosts", Level = LogLevel.Information,
        Message = "Requests are answered for the host names {Hosts} ({Why})")]
    public static partial void AllowedHosts(ILogger logger, string hosts, string why);

    [LoggerMessage(EventId = 2572, EventName = "AnyHost", Level = LogLevel.Warning,
        Message = "Requests are answered for any host name: an endpoint listens on every address and AllowedHosts is not set. Set AllowedHosts to the names clients use (DNS rebinding, docs/security.md).")]
    public static partial void AnyHost(ILogger logger);

    [LoggerMessage(EventId = 2573, EventName = "MerchantAccountChecked", Level = LogLevel.Information,
        Message = "Bakong {Environment} confirms the receiving account {Account} exists")]
    public static partial void MerchantAccountChecked(ILogger logger, string account, BakongEnvironment environment);

    [LoggerMessage(EventId = 2574, EventName = "MerchantAccountNotChecked", Level = LogLevel.Warning,
        Message = "Could not ask Bakong {Environment} whether the receiving account {Account} exists ({Fault}); starting anyway: make sure the merchant profile's BakongAccountId is the shop's own account.")]
    public static partial void MerchantAccountNotChecked(ILogger logger, string account, BakongEnvironment environment, string fault);

    [LoggerMessage(EventId = 2575, EventName = "DataDirectoryOpen", Level = LogLevel.Warning,
        Message = "The data directory {Directory} is open to other users (group or others have access); its files are owner-only, but make it so too: chmod 700 {Directory}")]
    public static partial void DataDirectoryOpen(ILogger logger, string directory);

    [LoggerMessage(EventId = 2576, EventName = "ClientCertificates", Level = LogLevel.Information,
        Message = "The https endpoints ask for TLS client certificates (Network:ClientCertificates {Policy}); accepted at the handshake: {Accepted}")]
    public static partial void ClientCertificates(ILogger logger, ClientCertificatePolicy policy, string accepted);

    [LoggerMessage(EventId = 2577, EventName = "ClientCertificateRefused", Level = LogLevel.Information,
        Message = "Refused a TLS handshake: client certificate {Thumbprint} {Problem}")]
    public static partial void ClientCertificateRefused(ILogger logger, string thumbprint, string problem);

    [LoggerMessage(EventId = 2578, EventName = "BoundClientsWithoutCertificates", Level = LogLevel.Warning,
        Message = "{Count} active clients are bound to a TLS client certificate, but Network:ClientCertificates is None: their keys are refused until it is Allow or Require on an https endpoint")]
    public static partial void BoundClientsWithoutCertificates(ILogger logger, int count);
}
