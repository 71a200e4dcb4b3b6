using System.Text;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tests.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tests.Audit;

/// <summary>
/// The LiteDB audit's own mechanics: its file (lock, a file that is no database), <c>Query</c>/<c>QueryApi</c> for the
/// CLI, concurrent prunes on one file, the queue, the log events. What every audit store promises is in
/// <see cref="BakongCallAuditContract"/> and <see cref="ApiCallAuditContract"/>.
/// </summary>
public sealed class LiteDbCallAuditTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();
    private readonly SignallingTimeProvider _time = new(s_start);
    private readonly FakeLogCollector _logs = new();
    private readonly BakongCallAuditOptions _options;

    public LiteDbCallAuditTests() => _options = new BakongCallAuditOptions { DatabasePath = _directory.File("audit.db") };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Query_returns_records_since_a_time_newest_first_optionally_for_one_endpoint_up_to_a_limit()
    {
        using var audit = NewAudit();
        var writer = await StartWriterAsync(audit);
        for (var minute = 0; minute < 10; minute++)
        {
            audit.Record(Call(s_start.AddMinutes(minute), minute % 2 == 0 ? "/v1/check_transaction_by_md5" : "/v1/renew_token"));
        }

        await audit.FlushAsync(Ct);
        await writer.StopAsync(Ct);

        var sinceFive = audit.Query(s_start.AddMinutes(5));
        Assert.Equal([9, 8, 7, 6, 5], sinceFive.Select(r => (int)(r.Time - s_start).TotalMinutes));

        var md5Only = audit.Query(s_start, "/v1/check_transaction_by_md5");
        Assert.Equal([8, 6, 4, 2, 0], md5Only.Select(r => (int)(r.Time - s_start).TotalMinutes));

        var newestTwo = audit.Query(s_start, limit: 2);
        Assert.Equal([9, 8], newestTwo.Select(r => (int)(r.Time - s_start).TotalMinutes));

        Assert.Empty(audit.Query(s_start.AddHours(1)));
    }

    [Fact]
    public async Task Api_calls_are_kept_beside_the_bakong_calls_queried_by_client_and_pruned_by_the_same_policy()
    {
        _options.Retention = TimeSpan.FromDays(30);
        _options.MaxRecords = 3;
        using var audit = NewAudit();
        var writer = await StartWriterAsync(audit);
        audit.Record(Call(s_start, "/v1/check_transaction_by_md5"));
        audit.Record(new ApiCallRecord(s_start, "aaaaaaaaaaaa", "ipv4:192.168.1.20:50000", "CreatePayment", "old", "OK"));
        for (var i = 0; i < 4; i++)
        {
            audit.Record(new ApiCallRecord(s_start.AddDays(20).AddSeconds(i), i % 2 == 0 ? "bbbbbbbbbbbb" : "-", "ipv4:127.0.0.1:1", "CancelPayment", "p" + i, "NOT_FOUND"));
        }

        await audit.FlushAsync(Ct);
        var before = audit.QueryApi(DateTimeOffset.MinValue, limit: 100);
        var oneClient = audit.QueryApi(DateTimeOffset.MinValue, "bbbbbbbbbbbb");
        var bakongCalls = audit.Query(DateTimeOffset.MinValue);
        await writer.StopAsync(Ct);
        _time.Advance(TimeSpan.FromDays(31));
        var pruned = audit.Prune();

        Assert.Equal(5, before.Count);
        Assert.Equal(new ApiCallRecord(s_start, "aaaaaaaaaaaa", "ipv4:192.168.1.20:50000", "CreatePayment", "old", "OK"), before[^1]);
        Assert.Equal(["p2", "p0"], oneClient.Select(r => r.Target));
        Assert.Equal("/v1/check_transaction_by_md5", Assert.Single(bakongCalls).Endpoint);

        // Older than the retention (the Bakong call and the first API call), then the oldest beyond MaxRecords (p0).
        Assert.Equal(3, pruned);
        Assert.Equal(["p3", "p2", "p1"], audit.QueryApi(DateTimeOffset.MinValue).Select(r => r.Target));
        Assert.Empty(audit.Query(DateTimeOffset.MinValue));
    }

    [Fact]
    public async Task Concurrent_prunes_keep_exactly_the_newest_records()
    {
        _options.MaxRecords = 5;
        using var audit = NewAudit();
        var writer = await StartWriterAsync(audit);
        var next = 0;
        for (var round = 0; round < 500; round++)
        {
            // Each round: three over the maximum, then two prunes released together, as the writer's timer and an
            // operator's prune (or two timer ticks after a stall) may run.
            for (var i = 0; i < (round == 0 ? 8 : 3); i++, next++)
            {
                audit.Record(Call(s_start.AddSeconds(next), "call" + next));
            }

            await audit.FlushAsync(Ct);
            using var together = new Barrier(2);
            var prunes = Enumerable.Range(0, 2)
                .Select(k => Task.Factory.StartNew(
                    () =>
                    {
                        together.SignalAndWait(Ct);

                        // The second starts a little after the first, by an offset that sweeps a range over the
                        // rounds, so in some rounds its count falls between the first one's count and its delete.
                        Thread.SpinWait(k * (round % 50) * 300);
                        return audit.Prune();
                    },
                    Ct,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default))
                .ToArray();
            var deleted = await Task.WhenAll(prunes).WaitAsync(TimeSpan.FromSeconds(10), Ct);

            Assert.Equal(3, deleted.Sum());
            Assert.Equal(
                Enumerable.Range(next - 5, 5).Reverse().Select(n => "call" + n),
                audit.Query(DateTimeOffset.MinValue).Select(r => r.Endpoint));
        }

        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task The_writer_prunes_on_its_timer_as_the_clock_advances()
    {
        _options.Retention = TimeSpan.FromDays(1);
        _options.PruneInterval = TimeSpan.FromHours(1);
        using var audit = NewAudit();
        var writer = await StartWriterAsync(audit);
        audit.Record(Call(s_start, "old"));
        await audit.FlushAsync(Ct);

        _time.Advance(TimeSpan.FromDays(2));
        await WaitForEventAsync(1203);
        await writer.StopAsync(Ct);

        Assert.Empty(audit.Query(DateTimeOffset.MinValue));
    }

    [Fact]
    public async Task When_the_queue_is_full_recording_does_not_block_and_the_oldest_waiting_records_are_dropped_and_counted()
    {
        _options.QueueCapacity = 2;
        using var audit = NewAudit();

        // No writer running: the queue fills up.
        for (var i = 0; i < 5; i++)
        {
            audit.Record(Call(s_start.AddSeconds(i), "call" + i));
        }

        Assert.Equal(3, audit.DroppedCount);
        var writer = await StartWriterAsync(audit);
        await audit.FlushAsync(Ct);
        await writer.StopAsync(Ct);

        Assert.Equal(["call4", "call3"], audit.Query(DateTimeOffset.MinValue).Select(r => r.Endpoint));
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 1201 && r.GetStructuredStateValue("Count") == "3");
        Assert.Equal(5, _logs.GetSnapshot().Count(r => r.Id.Id == 1200));
    }

    [Fact]
    public async Task Every_record_is_a_structured_log_event_with_its_fields()
    {
        using var audit = NewAudit();

        audit.Record(Call(s_start, "/v1/check_transaction_by_md5", "d60f3db96913029a2af979a1662c1e72", 401, 1, 6,
            "Unauthorized, not yet requested for token or code invalid", attempt: 1, outcome: "Unauthorized", latencyMs: 120));

        var entry = Assert.Single(_logs.GetSnapshot());
        Assert.Equal(1200, entry.Id.Id);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("/v1/check_transaction_by_md5", entry.GetStructuredStateValue("Endpoint"));
        Assert.Equal("d60f3db96913029a2af979a1662c1e72", entry.GetStructuredStateValue("Subject"));
        Assert.Equal("401", entry.GetStructuredStateValue("HttpStatus"));
        Assert.Equal("1", entry.GetStructuredStateValue("ResponseCode"));
        Assert.Equal("6", entry.GetStructuredStateValue("ErrorCode"));
        Assert.Equal("Unauthorized", entry.GetStructuredStateValue("Outcome"));
        Assert.Equal("1", entry.GetStructuredStateValue("Attempt"));
        Assert.Equal("120", entry.GetStructuredStateValue("LatencyMs"));
    }

    [Fact]
    public async Task A_token_slipped_into_a_record_reaches_neither_the_store_nor_the_log()
    {
        using var audit = NewAudit();
        var writer = await StartWriterAsync(audit);
        var token = TestJwt.Create(s_start.AddDays(90));

        audit.Record(Call(s_start, "/v1/check_transaction_by_md5", subject: token, message: "Bearer " + token + " rejected", outcome: "Unauthorized " + token));
        await audit.FlushAsync(Ct);
        await writer.StopAsync(Ct);
        audit.Dispose();

        var stored = Encoding.UTF8.GetString(_directory.AllDatabaseBytes());
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], stored, StringComparison.Ordinal);
        var logged = TokenFixture.LogText(_logs);
        Assert.DoesNotContain(token, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], logged, StringComparison.Ordinal);

        using var reopened = NewAudit();
        var record = Assert.Single(reopened.Query(DateTimeOffset.MinValue));
        Assert.Equal("[redacted]", record.Subject);
        Assert.Equal("Bearer [redacted] rejected", record.ResponseMessage);
    }

    [Fact]
    public async Task A_second_audit_on_the_same_file_is_refused_while_the_first_holds_it_and_opens_once_it_is_closed()
    {
        var first = NewAudit();
        var writer = await StartWriterAsync(first);
        first.Record(Call(s_start, "/v1/renew_token"));
        await writer.StopAsync(Ct);

        var e = Assert.Throws<StoreLockedException>(NewAudit);

        Assert.Equal(
            $"The call audit '{_options.DatabasePath}' is in use by another process (a running gateway, or another bakong command, holds its lock file "
            + $"'{_options.DatabasePath}.lock'); stop that process first, or use another data directory.",
            e.Message);
        first.Dispose();
        using var second = NewAudit();
        Assert.Equal("/v1/renew_token", Assert.Single(second.Query(DateTimeOffset.MinValue)).Endpoint);
    }

    [Fact]
    public void Md5_subjects_and_bakong_messages_are_stored_unchanged()
    {
        Assert.Equal("d60f3db96913029a2af979a1662c1e72", AuditRedaction.Scrub("d60f3db96913029a2af979a1662c1e72"));
        Assert.Equal("50 md5s", AuditRedaction.Scrub("50 md5s"));
        Assert.Equal("Transaction could not be found. Please check and try again.", AuditRedaction.Scrub("Transaction could not be found. Please check and try again."));
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_file_that_is_not_a_database_is_a_store_exception_naming_the_file_with_the_engines_error_inside()
    {
        File.WriteAllBytes(_options.DatabasePath, Enumerable.Repeat((byte)0xAB, 16_384).ToArray());

        var e = Assert.Throws<StoreException>(NewAudit);

        Assert.StartsWith($"The call audit '{_options.DatabasePath}' cannot be used: ", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.InnerException);
    }

    private LiteDbCallAudit NewAudit() =>
        new(Options.Create(_options), _time, new FakeLogger<LiteDbCallAudit>(_logs));

    /// <summary>
    /// Starts the writer and returns once its first prune is over (it creates its timer after that prune), so no prune
    /// of the writer's runs beside the test's until the test moves the clock.
    /// </summary>
    private async Task<CallAuditWriter> StartWriterAsync(LiteDbCallAudit audit)
    {
        var writer = new CallAuditWriter(audit, Options.Create(_options), _time, new FakeLogger<CallAuditWriter>(_logs));
        await writer.StartAsync(Ct);
        await _time.NextTimerAsync();
        return writer;
    }

    private async Task WaitForEventAsync(int eventId)
    {
        await foreach (var record in _logs.GetLogsAsync(Ct).WithCancellation(Ct))
        {
            if (record.Id.Id == eventId)
            {
                return;
            }
        }
    }

    private static BakongCallRecord Call(
        DateTimeOffset time,
        string endpoint,
        string? subject = "d60f3db96913029a2af979a1662c1e72",
        int? httpStatus = 200,
        int? responseCode = 0,
        int? errorCode = null,
        string? message = "Success",
        int attempt = 1,
        string outcome = "Paid",
        int latencyMs = 35) =>
        new(time, endpoint, subject, httpStatus, responseCode, errorCode, message, TimeSpan.FromMilliseconds(latencyMs), attempt, outcome);
}
