using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Cli.Token;

/// <summary>
/// The services one <c>bakong token ...</c> command needs, for the life of that command: the registration client, the
/// token store and manager over <c>&lt;data&gt;/bakong-tokens.db</c>, and the call audit over
/// <c>&lt;data&gt;/bakong-audit.db</c> with its writer running. Disposing stops the writer — which persists every queued
/// audit record — and then closes both database files.
/// </summary>
internal sealed class BakongSession : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started = [];

    private BakongSession(ServiceProvider services) => _services = services;

    public TokenOnboarding Onboarding => _services.GetRequiredService<TokenOnboarding>();

    public BakongTokenManager Manager => _services.GetRequiredService<BakongTokenManager>();

    /// <summary>The other secrets of the token store (the Telegram bot token).</summary>
    public StoredSecrets Secrets => _services.GetRequiredService<StoredSecrets>();

    /// <summary>
    /// Builds and starts the services. Options are validated here (<see cref="Microsoft.Extensions.Options.OptionsValidationException"/>);
    /// the databases are opened here (<see cref="IOException"/> when another process holds them).
    /// </summary>
    /// <param name="context">Its clock drives token expiry, audit times and timeouts.</param>
    /// <param name="target">Data directory, environment and URL.</param>
    /// <param name="renewalEmail">Overrides the stored registration e-mail for this command (<c>token renew --email</c>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<BakongSession> StartAsync(CliContext context, BakongTarget target, string? renewalEmail, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddSingleton(context.TimeProvider);

        // No logging providers: the command says what happened on stdout/stderr; the audit rows keep the calls.
        services.AddLogging();
        services.AddBakongOpenApiClient(options =>
        {
            options.Environment = target.Environment;
            options.BaseUrl = target.BaseUrl;
        });
        services.AddBakongCallAudit(options => options.DatabasePath = target.AuditDatabase);
        services.AddBakongTokens(options =>
        {
            options.Environment = target.Environment;
            options.DatabasePath = target.TokenDatabase;
            options.KeyPath = target.TokenKey;

            // A command renews when asked to; the gateway is what renews on its own.
            options.AutoRenew = false;
            if (!string.IsNullOrWhiteSpace(renewalEmail))
            {
                options.Email = renewalEmail;
            }
        });

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var session = new BakongSession(provider);
        try
        {
            // Resolving the hosted services opens both databases and validates every option (IValidateOptions run
            // when an options value is first created, which the constructors do).
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(cancellationToken).ConfigureAwait(false);
                session._started.Add(hosted);
            }

            _ = session.Onboarding;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return session;
    }

    public async ValueTask DisposeAsync()
    {
        // Not the command's token: Ctrl-C must still leave the audit written and the files closed.
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _started.Clear();
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
