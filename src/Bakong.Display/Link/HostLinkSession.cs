using Microsoft.Extensions.Logging;

namespace Bakong.Display.Link;

/// <summary>Why a <see cref="HostLinkSession"/> ended.</summary>
public enum LinkEnd
{
    /// <summary>The caller cancelled (shutdown).</summary>
    Cancelled = 0,

    /// <summary>The stream ended or faulted (an unplugged port).</summary>
    StreamFailed = 1,

    /// <summary>No valid frame from the device for the link timeout.</summary>
    Unresponsive = 2,
}

/// <summary>
/// The host side of one display link over an open duplex stream: a <see cref="HostLink"/> fed by the stream's bytes,
/// its timer and the controller's desired-screen changes, its output written back. The session ends when the stream
/// fails or the device goes silent, so the transport can reopen the port; the controller keeps the desired screen for
/// the next session.
/// </summary>
/// <remarks>
/// Everything runs on one loop fed by a channel (bytes from the read loop, timer ticks, desired-screen changes, queued
/// commands), so the link needs no locks and the stream has one writer. Timers come from <paramref name="linkClock"/>;
/// <paramref name="wallClock"/> turns a QR's absolute expiry into the seconds left at each send.
/// </remarks>
public sealed class HostLinkSession(
    DisplayController controller, HostLinkOptions options, TimeProvider linkClock, TimeProvider wallClock, ILogger logger,
    IDisplayOutcomeSource? outcomes = null)
{
    private readonly LinkInbox _inbox = new();
    private readonly HostLink _link = new(controller, options, wallClock, logger, outcomes);

    /// <summary>Runs the link until the stream fails, the device goes silent, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<LinkEnd> RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = linkClock.CreateTimer(_ => _inbox.Signal(LinkInput.TickInput), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var listening = controller.ListenForDesired(
            () => _inbox.Signal(LinkInput.ChangedInput), () => _inbox.Signal(LinkInput.CommandInput));
        var reader = Task.Run(() => FramePump.ReadAsync(stream, _inbox.Writer, stop.Token), CancellationToken.None);
        try
        {
            _link.Start(linkClock.GetUtcNow());
            while (true)
            {
                await FlushAsync(stream, stop.Token).ConfigureAwait(false);
                Arm(timer);
                var input = await _inbox.ReadAsync(stop.Token).ConfigureAwait(false);
                var now = linkClock.GetUtcNow();
                LinkEnd? end = null;
                switch (input)
                {
                    case LinkInput.Bytes bytes:
                        _link.Receive(bytes.Value, now);
                        break;
                    case LinkInput.Tick:
                        end = _link.Poll(now);
                        break;
                    case LinkInput.Changed:
                        _link.DesiredChanged(now);
                        break;
                    case LinkInput.Command:
                        _link.CommandQueued(now);
                        break;
                    case LinkInput.StreamEnded ended:
                        end = _link.Fail(LinkEnd.StreamFailed, ended.Error?.Message ?? "the stream ended", now);
                        break;
                }

                if (end is { } result)
                {
                    return result;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return LinkEnd.Cancelled;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException or OperationCanceledException or TimeoutException)
        {
            // A write failed or timed out (OperationCanceledException from the write timeout): the port is dead.
            return _link.Fail(LinkEnd.StreamFailed, e.Message, linkClock.GetUtcNow());
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Arm(ITimer timer)
    {
        var due = _link.NextDue;
        if (due == DateTimeOffset.MaxValue)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - linkClock.GetUtcNow();
        timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private async ValueTask FlushAsync(Stream stream, CancellationToken cancellationToken)
    {
        while (_link.TryTakeOutput(out var wire))
        {
            using var timeout = new CancellationTokenSource(options.WriteTimeout, linkClock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            // No Flush: on a serial port whose device vanished, SerialStream.Flush spins forever on its write queue and
            // no token can stop it. A write that cannot complete is cancelled by the timeout instead.
            await stream.WriteAsync(wire, linked.Token).ConfigureAwait(false);
        }
    }
}
