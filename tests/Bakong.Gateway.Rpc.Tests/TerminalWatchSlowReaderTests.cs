using Bakong.Grpc.Payments.V1;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Grpc.Core;

namespace Bakong.Gateway.Rpc.Tests;

/// <summary>A <c>WatchTerminal</c> client that stops reading: its stream is dropped with a clear status, not kept forever.</summary>
public sealed class TerminalWatchSlowReaderTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly PaymentServiceHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_stream_whose_write_is_stuck_while_its_buffer_overflows_ends_with_resource_exhausted_saying_to_resume_by_cursor()
    {
        var ct = TestContext.Current.CancellationToken;
        var writer = new StalledWriter();
        var call = _harness.WatchTerminalAsync(new WatchTerminalRequest { TerminalId = "till-1" }, writer);
        await writer.CaughtUpWritten.Task.WaitAsync(s_timeout, ct);

        // The payment's creation is the write that never completes (a client that stopped reading, its window full).
        var created = (await _harness.CreateAsync(PaymentServiceHarness.Create("stalled"))).Payment;
        await writer.Stalled.Task.WaitAsync(s_timeout, ct);
        Assert.False(call.IsCompleted);

        var snapshot = (await _harness.Get<IPaymentStore>().GetAsync(created.PaymentId, ct))!.ToSnapshot();
        var hub = _harness.Get<TerminalWatchHub>();
        for (var i = 1; i <= TerminalWatchHub.StreamBuffer + 1; i++)
        {
            hub.Publish(snapshot with { Version = snapshot.Version + i });
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(s_timeout, ct));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("call again with the last cursor", e.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Takes the catch-up's marker, then waits on every later write until its token is cancelled.</summary>
    private sealed class StalledWriter : IServerStreamWriter<WatchTerminalResponse>
    {
        public TaskCompletionSource CaughtUpWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WriteOptions? WriteOptions { get; set; }

        private TaskCompletionSource Never { get; } = new();

        public Task WriteAsync(WatchTerminalResponse message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(WatchTerminalResponse message, CancellationToken cancellationToken)
        {
            if (message.EventCase == WatchTerminalResponse.EventOneofCase.CaughtUp)
            {
                CaughtUpWritten.TrySetResult();
                return;
            }

            Stalled.TrySetResult();
            await Never.Task.WaitAsync(cancellationToken);
        }
    }
}
