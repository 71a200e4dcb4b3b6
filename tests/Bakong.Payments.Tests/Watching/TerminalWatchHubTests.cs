using Bakong.Payments.Watching;

namespace Bakong.Payments.Tests.Watching;

/// <summary>The <c>WatchTerminal</c> feed's bounds: a stream's buffer and the journal a cursor resumes from.</summary>
public sealed class TerminalWatchHubTests : IDisposable
{
    private readonly WatchHarness _h = new();
    private readonly TerminalWatchHub _hub;

    public TerminalWatchHubTests() => _hub = new TerminalWatchHub(_h.Store, _h.Lifetime);

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_stream_that_falls_more_than_its_buffer_behind_is_dropped_and_its_writer_told_at_once()
    {
        var payment = (await _h.CreateAsync()).ToSnapshot();
        using var watch = Open("till-1");
        await using var stream = watch.ReadAllAsync(WatchHarness.Ct).GetAsyncEnumerator(WatchHarness.Ct);
        Assert.True(await stream.MoveNextAsync());
        Assert.IsType<TerminalWatchEvent.Change>(stream.Current); // the pending payment
        Assert.True(await stream.MoveNextAsync());
        Assert.IsType<TerminalWatchEvent.CaughtUp>(stream.Current);

        // The reader reads nothing while the buffer fills; one more change than it holds drops the stream.
        for (var i = 1; i <= TerminalWatchHub.StreamBuffer; i++)
        {
            _hub.Publish(payment with { Version = payment.Version + i });
        }

        Assert.False(watch.Behind.IsCancellationRequested);
        _hub.Publish(payment with { Version = payment.Version + TerminalWatchHub.StreamBuffer + 1 });

        Assert.True(watch.Behind.IsCancellationRequested);
        await Assert.ThrowsAsync<TerminalWatchBehindException>(async () => await stream.MoveNextAsync());
    }

    [Fact]
    public async Task A_cursor_whose_changes_left_the_journal_starts_over_from_the_current_state()
    {
        var payment = (await _h.CreateAsync()).ToSnapshot();
        string cursor;
        using (var first = Open("till-1"))
        {
            cursor = Assert.IsType<TerminalWatchEvent.CaughtUp>((await ReadAsync(first, 2))[1]).Cursor.Format();
        }

        var other = payment with { Id = "other-terminal", Parameters = payment.Parameters with { TerminalId = "till-2" } };
        for (var i = 1; i <= TerminalWatchHub.JournalCapacity; i++)
        {
            _hub.Publish(other with { Version = i });
        }

        // Still resumable: every change after the cursor is kept (none of them this terminal's).
        using (var kept = Open("till-1", cursor))
        {
            var caughtUp = Assert.IsType<TerminalWatchEvent.CaughtUp>(Assert.Single(await ReadAsync(kept, 1)));
            Assert.True(caughtUp.Resumed);
            Assert.Equal(cursor, caughtUp.Cursor.Format());
        }

        _hub.Publish(other with { Version = TerminalWatchHub.JournalCapacity + 1 });
        using var lost = Open("till-1", cursor);
        var events = await ReadAsync(lost, 2);
        Assert.Equal(payment.Id, Assert.IsType<TerminalWatchEvent.Change>(events[0]).Payment.Id);
        Assert.False(Assert.IsType<TerminalWatchEvent.CaughtUp>(events[1]).Resumed);
    }

    [Fact]
    public async Task Changes_missed_elsewhere_end_every_open_stream_and_a_cursor_from_before_starts_over_from_the_current_state()
    {
        var payment = (await _h.CreateAsync()).ToSnapshot();
        using var watch = Open("till-1");
        using var every = Assert.IsType<TerminalWatchResult.Watching>(_hub.OpenEveryTerminal("")).Watch;
        await using var stream = watch.ReadAllAsync(WatchHarness.Ct).GetAsyncEnumerator(WatchHarness.Ct);
        await using var everyStream = every.ReadAllAsync(WatchHarness.Ct).GetAsyncEnumerator(WatchHarness.Ct);
        Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(stream));
        Assert.IsType<TerminalWatchEvent.CaughtUp>(await NextAsync(stream));
        _hub.Publish(payment with { Version = payment.Version + 1 });
        var before = Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(stream)).Cursor!.Value.Format();
        Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(everyStream));
        Assert.IsType<TerminalWatchEvent.CaughtUp>(await NextAsync(everyStream));
        Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(everyStream));

        ((IReplicaChangeSink)_hub).ChangesMissed();

        Assert.Equal((TerminalWatchEnd.ChangesMissed, TerminalWatchEnd.ChangesMissed), (watch.Dropped, every.Dropped));
        Assert.True(watch.Behind.IsCancellationRequested);
        await Assert.ThrowsAsync<TerminalWatchGapException>(async () => await stream.MoveNextAsync());
        await Assert.ThrowsAsync<TerminalWatchGapException>(async () => await everyStream.MoveNextAsync());

        // The change before the loss is still in the journal, but what came after it may not be: start over.
        string after;
        using (var again = Open("till-1", before))
        {
            var events = await ReadAsync(again, 2);
            Assert.Equal(payment.Id, Assert.IsType<TerminalWatchEvent.Change>(events[0]).Payment.Id);
            var caughtUp = Assert.IsType<TerminalWatchEvent.CaughtUp>(events[1]);
            Assert.False(caughtUp.Resumed);
            after = caughtUp.Cursor.Format();
        }

        // A cursor issued after the loss resumes as before.
        _hub.Publish(payment with { Version = payment.Version + 2 });
        using var resumed = Open("till-1", after);
        var resumedEvents = await ReadAsync(resumed, 2);
        Assert.Equal(payment.Version + 2, Assert.IsType<TerminalWatchEvent.Change>(resumedEvents[0]).Payment.Version);
        Assert.True(Assert.IsType<TerminalWatchEvent.CaughtUp>(resumedEvents[1]).Resumed);
    }

    [Fact]
    public void A_cursor_ahead_of_the_feed_is_refused_naming_cursor()
    {
        var ahead = new TerminalCursor(_hub.Epoch, 5, TerminalCursor.TagOf("till-1")).Format();

        var invalid = Assert.IsType<TerminalWatchResult.Invalid>(_hub.Open("till-1", ahead));

        Assert.Equal("cursor", Assert.Single(invalid.Violations).Field);
    }

    [Fact]
    public void Another_replicas_change_is_wanted_only_for_a_terminal_a_stream_follows_or_any_while_an_every_terminal_stream_is_open()
    {
        IReplicaChangeSink sink = _hub;
        Assert.False(sink.Follows("till-1"));

        using (Open("till-1"))
        {
            Assert.True(sink.Follows("till-1"));
            Assert.False(sink.Follows("till-2"));
        }

        var every = Assert.IsType<TerminalWatchResult.Watching>(_hub.OpenEveryTerminal("")).Watch;
        Assert.True(sink.Follows("till-2"));
        every.Dispose();
        Assert.False(sink.Follows("till-2"));
    }

    [Fact]
    public async Task An_every_terminal_stream_is_shown_each_terminals_change_in_order_and_a_replicas_change_like_a_local_one()
    {
        var first = (await _h.CreateAsync()).ToSnapshot();
        using var every = Assert.IsType<TerminalWatchResult.Watching>(_hub.OpenEveryTerminal("")).Watch;
        await using var stream = every.ReadAllAsync(WatchHarness.Ct).GetAsyncEnumerator(WatchHarness.Ct);
        Assert.Equal(first.Id, Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(stream)).Payment.Id);
        Assert.IsType<TerminalWatchEvent.CaughtUp>(await NextAsync(stream));

        var other = first with { Id = "other-terminal", Parameters = first.Parameters with { TerminalId = "till-2" } };
        _hub.Publish(other);
        ((IReplicaChangeSink)_hub).SavedElsewhere(await _h.CreateAsync());

        Assert.Equal("till-2", Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(stream)).Payment.Parameters.TerminalId);
        Assert.NotNull(Assert.IsType<TerminalWatchEvent.Change>(await NextAsync(stream)).Cursor);

        // A cursor of this stream is not one of a terminal's, nor the other way round.
        var cursor = new TerminalCursor(_hub.Epoch, 1, TerminalCursor.TagOf(null)).Format();
        Assert.Equal("cursor", Assert.Single(Assert.IsType<TerminalWatchResult.Invalid>(_hub.Open("till-1", cursor)).Violations).Field);
        var terminalCursor = new TerminalCursor(_hub.Epoch, 1, TerminalCursor.TagOf("till-1")).Format();
        Assert.IsType<TerminalWatchResult.Invalid>(_hub.OpenEveryTerminal(terminalCursor));
    }

    private static async Task<TerminalWatchEvent> NextAsync(IAsyncEnumerator<TerminalWatchEvent> stream)
    {
        Assert.True(await stream.MoveNextAsync().AsTask().WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        return stream.Current;
    }

    private TerminalWatchHub.TerminalWatch Open(string terminalId, string cursor = "") =>
        Assert.IsType<TerminalWatchResult.Watching>(_hub.Open(terminalId, cursor)).Watch;

    private static async Task<List<TerminalWatchEvent>> ReadAsync(TerminalWatchHub.TerminalWatch watch, int count)
    {
        var events = new List<TerminalWatchEvent>();
        await using var stream = watch.ReadAllAsync(WatchHarness.Ct).GetAsyncEnumerator(WatchHarness.Ct);
        while (events.Count < count)
        {
            Assert.True(await stream.MoveNextAsync().AsTask().WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
            events.Add(stream.Current);
        }

        return events;
    }
}
