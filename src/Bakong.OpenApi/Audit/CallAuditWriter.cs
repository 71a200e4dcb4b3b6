using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Audit;

/// <summary>
/// Drains the audit queue into the audit's store and prunes on a <see cref="PeriodicTimer"/> driven by the injected clock. On
/// stop it completes the queue and persists what is left before returning.
/// </summary>
internal sealed class CallAuditWriter(
    CallAudit audit,
    IOptions<BakongCallAuditOptions> options,
    TimeProvider timeProvider,
    ILogger<CallAuditWriter> logger) : BackgroundService
{
    private Task? _writer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Started here, not in ExecuteAsync: since .NET 10 ExecuteAsync runs on Task.Run with the stopping token, so a
        // host stopped right after starting could skip it and leave queued records unwritten.
        _writer = Task.Run(() => audit.RunWriterAsync(CancellationToken.None), CancellationToken.None);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        audit.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_writer is { } writer)
        {
            await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once at start, then on the timer. The timer is created only after the first prune has returned, so whoever
        // sees it created (a test's TimeProvider) knows that prune is over and none runs until the clock moves.
        await PruneAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.PruneInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await PruneAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PruneAsync(CancellationToken stoppingToken)
    {
        try
        {
            await audit.PruneAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Pruning is retried on the next tick; a failure must not stop the writer.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            AuditLog.PruneFailed(logger, exception);
        }
    }
}
