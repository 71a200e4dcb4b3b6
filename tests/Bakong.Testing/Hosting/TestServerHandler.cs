using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Testing;

/// <summary>
/// Sends into the TestServer, resolved at the first request (the server starts after the clients are made). A
/// request made while the host is still starting (the poller's first pass after a restart, with payments due)
/// waits for the server: Kestrel would refuse the connection and the poller retry after its fault delay, the
/// TestServer would throw, and either way the test would depend on that race. A gateway on Kestrel
/// (WebApplicationFactory.UseKestrel) is reached as a real one is, through <paramref name="network"/>: the handler the
/// gateway gave the client (the sandbox's private socket, <c>SandboxSocket</c>), else the network.
/// </summary>
public sealed class TestServerHandler(IServiceProvider services, HttpMessageHandler network) : HttpMessageHandler
{
    private HttpMessageInvoker? _inner;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted;
        if (!started.IsCancellationRequested)
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (started.Register(() => ready.TrySetResult()))
            {
                await ready.Task.WaitAsync(cancellationToken);
            }
        }

        _inner ??= new HttpMessageInvoker(services.GetRequiredService<IServer>() is TestServer server ? server.CreateHandler() : network);
        return await _inner.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner?.Dispose();
            network.Dispose();
        }

        base.Dispose(disposing);
    }
}
