using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox;

/// <summary>
/// The sandbox as a server of its own on 127.0.0.1 (what <c>bakong sandbox serve</c> and the tests run): the Bakong
/// API at <c>{BaseUrl}v1/...</c>, the control API at <c>{BaseUrl}control/...</c>. Dispose to stop it.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SandboxServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        State = app.Services.GetRequiredService<SandboxState>();
    }

    /// <summary>E.g. <c>http://127.0.0.1:5082/</c>, ending in a slash.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The same state the control API changes, for in-process callers.</summary>
    public SandboxState State { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a sandbox on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    /// <param name="port">The port, or 0.</param>
    /// <param name="timeProvider">The clock for tokens, payments and injected delays; the system clock if null.</param>
    /// <param name="configure">Options, e.g. the seed or the token lifetime.</param>
    /// <param name="logging">Logging set-up; by default the console at Information.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<SandboxServer> StartAsync(
        int port = 0,
        TimeProvider? timeProvider = null,
        Action<SandboxOptions>? configure = null,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        if (logging is not null)
        {
            builder.Logging.ClearProviders();
            logging(builder.Logging);
        }

        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddBakongSandbox(configure);
        var app = builder.Build();
        app.MapBakongSandbox();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.TrimEnd('/') + "/");
        var logger = app.Services.GetRequiredService<ILogger<SandboxServer>>();
        SandboxLog.Listening(logger, baseUrl);
        return new SandboxServer(app, baseUrl);
    }

    /// <summary>Completes when the server is told to stop (Ctrl+C) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
