using Bakong.OpenApi.Tokens;
using Bakong.Sandbox;

namespace Bakong.Gateway.Sandbox;

/// <summary>
/// With the sandbox in-process, issues a sandbox token at start and sets it in the token store, so payment checks work
/// on a fresh machine with no setup. Every start issues a new one: the sandbox signs with a key of its own per run,
/// so the previous run's token is worthless. It does so in <see cref="StartingAsync"/>, before the host starts any
/// hosted service: the token renewal service then finds a token rather than warning that none is set, and the
/// poller's first pass has it.
/// </summary>
internal sealed class SandboxTokenBootstrap(SandboxState sandbox, BakongTokenManager tokens, ILogger<SandboxTokenBootstrap> logger)
    : IHostedLifecycleService
{
    public const string Email = "gateway@sandbox.local";

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var issued = sandbox.IssueToken(Email);
        var token = tokens.Set(issued.Token, Email);
        GatewayLog.SandboxTokenIssued(logger, token.ExpiresAt);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
