using Bakong.OpenApi.Tokens;
using Bakong.Sandbox;

namespace Bakong.Gateway.Sandbox;

/// <summary>
/// With the sandbox in-process, issues a sandbox token at start and sets it in the token store, so payment checks work
/// on a fresh machine with no setup. Every start issues a new one: the sandbox signs with a key of its own per run,
/// so the previous run's token is worthless. Registered before the poller, so its first pass has the token.
/// </summary>
internal sealed class SandboxTokenBootstrap(SandboxState sandbox, BakongTokenManager tokens, ILogger<SandboxTokenBootstrap> logger) : IHostedService
{
    public const string Email = "gateway@sandbox.local";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var issued = sandbox.IssueToken(Email);
        var token = tokens.Set(issued.Token, Email);
        GatewayLog.SandboxTokenIssued(logger, token.ExpiresAt);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
