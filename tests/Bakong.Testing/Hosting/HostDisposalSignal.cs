using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Testing;

/// <summary>
/// Says when a WebApplicationFactory host's services are really disposed. Disposing the factory can return while the
/// entry point's own <c>RunAsync</c> is still disposing them on another thread, and until then the store's lock file and
/// data files are held (seen as "Directory not empty" when the test's temp folder is deleted, or a locked store when a
/// next gateway opens it).
/// </summary>
/// <remarks>
/// A service provider disposes its services in the reverse order it created them, so the signal must be the first one
/// created: <see cref="ProviderFactory"/> builds the host's provider and creates the signal before anything else.
/// (Registering it first was not enough: the client store, which the entry point resolves before the host starts in
/// ApiKeys mode, was disposed after the signal, and LiteDB's dispose wrote its log file back into the folder the test
/// was deleting.)
/// </remarks>
public sealed class HostDisposalSignal : IDisposable
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _created;

    /// <summary>True once a provider of <see cref="ProviderFactory"/> has created the signal.</summary>
    public bool Created => _created;

    /// <summary>The host's service provider factory: the provider it builds creates the signal first, and so disposes it last.</summary>
    public IServiceProviderFactory<IServiceCollection> ProviderFactory(ServiceProviderOptions options) => new FirstCreated(this, options);

    /// <summary>Completes once the host that created the signal has disposed its services (at once if none did).</summary>
    public Task WaitAsync(TimeSpan timeout) => _created ? _disposed.Task.WaitAsync(timeout) : Task.CompletedTask;

    /// <summary>The host failed to start and nobody will dispose its services: <see cref="WaitAsync"/> returns at once.</summary>
    public void Abandon() => _disposed.TrySetResult();

    public void Dispose() => _disposed.TrySetResult();

    private sealed class FirstCreated(HostDisposalSignal signal, ServiceProviderOptions options) : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services) => services;

        public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder)
        {
            // A factory, not an instance: the provider disposes only what it created.
            containerBuilder.AddSingleton(_ =>
            {
                signal._created = true;
                return signal;
            });
            var provider = containerBuilder.BuildServiceProvider(options);
            provider.GetRequiredService<HostDisposalSignal>();
            return provider;
        }
    }
}
