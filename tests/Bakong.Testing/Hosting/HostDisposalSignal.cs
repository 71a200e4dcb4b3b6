using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Testing;

/// <summary>
/// Says when a WebApplicationFactory host's services are really disposed. Disposing the factory can return while the
/// entry point's own <c>RunAsync</c> is still disposing them on another thread, and until then the store's lock file and
/// data files are held (seen as "Directory not empty" when the test's temp folder is deleted, or a locked store when a
/// next gateway opens it). Registered first, so disposed last.
/// </summary>
public sealed class HostDisposalSignal : IHostedService, IDisposable
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _created;

    /// <summary>Adds the signal as the first service of <paramref name="services"/>.</summary>
    public void Register(IServiceCollection services) =>
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(_ =>
        {
            _created = true;
            return this;
        }));

    /// <summary>Completes once the host that created the signal has disposed its services (at once if none did).</summary>
    public Task WaitAsync(TimeSpan timeout) => _created ? _disposed.Task.WaitAsync(timeout) : Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _disposed.TrySetResult();
}
