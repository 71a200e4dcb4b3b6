using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tests.Tokens;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tests.Audit;

/// <summary>
/// What both audit contracts share: an audit on this test's store (opened again on the same store for a restart), its
/// writer, a fake clock and the options. The stores: <see cref="LiteDbCallAudit"/> on a file of a temp folder, and
/// <see cref="PostgresCallAudit"/> on a fresh database of the run's throwaway cluster.
/// </summary>
public abstract class CallAuditFixture : IAsyncDisposable
{
    protected static readonly DateTimeOffset Start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly List<IDisposable> _opened = [];
    private readonly List<CallAuditWriter> _writers = [];

    private protected TempDirectory Directory { get; } = new();

    private protected SignallingTimeProvider Time { get; } = new(Start);

    private protected FakeLogCollector Logs { get; } = new();

    private protected BakongCallAuditOptions Options { get; }

    protected CallAuditFixture() => Options = new BakongCallAuditOptions { DatabasePath = Directory.File("audit.db") };

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An audit on this test's store (the same store each call), with <see cref="Options"/> and <see cref="Time"/>.</summary>
    private protected abstract Task<CallAudit> OpenAsync();

    /// <summary>Closes what <see cref="OpenAsync"/> opened, as a gateway stopping does (a PostgreSQL audit holds nothing of its own).</summary>
    private protected void Close(CallAudit audit)
    {
        if (audit is IDisposable disposable)
        {
            _opened.Remove(disposable);
            disposable.Dispose();
        }
    }

    /// <summary>Keeps a resource to dispose at the end of the test.</summary>
    private protected T Own<T>(T resource)
        where T : IDisposable
    {
        _opened.Add(resource);
        return resource;
    }

    /// <summary>
    /// An audit with its writer started, returned once the writer's first prune is over (it creates its timer after
    /// that prune), so no prune of the writer's runs beside the test's until the test moves the clock.
    /// </summary>
    private protected async Task<(CallAudit Audit, CallAuditWriter Writer)> StartAsync()
    {
        var audit = await OpenAsync();
        var writer = new CallAuditWriter(audit, Microsoft.Extensions.Options.Options.Create(Options), Time, new FakeLogger<CallAuditWriter>(Logs));
        _writers.Add(writer);
        await writer.StartAsync(Ct);
        await Time.NextTimerAsync();
        return (audit, writer);
    }

    /// <summary>Every record of a window, page by page, newest first.</summary>
    private protected static async Task<List<T>> AllAsync<T>(Func<AuditCursor?, Task<AuditPage<T>>> page)
    {
        var records = new List<T>();
        AuditCursor? cursor = null;
        do
        {
            var next = await page(cursor);
            records.AddRange(next.Records);
            cursor = next.Next;
        }
        while (cursor is not null);

        return records;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers)
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }

        foreach (var opened in Enumerable.Reverse(_opened))
        {
            opened.Dispose();
        }

        Directory.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected CallAudit NewLiteDb() =>
        Own(new LiteDbCallAudit(Microsoft.Extensions.Options.Options.Create(Options), Time, new FakeLogger<LiteDbCallAudit>(Logs)));

    private protected async Task<CallAudit> NewPostgresAsync(PostgresCluster cluster, Func<string?> connectionString, Action<string> keep)
    {
        cluster.SkipIfUnavailable();
        if (connectionString() is not { } database)
        {
            database = await cluster.CreateDatabaseAsync(Ct);
            keep(database);
        }

        var opened = Own(PostgresDatabase.Open(database, NullLogger.Instance));
        return new PostgresCallAudit(opened, Options, Time, new FakeLogger<PostgresCallAudit>(Logs));
    }
}

/// <summary>
/// What the audit of the calls to Bakong promises (ListBakongCalls, <c>bakong audit</c>), asserted once and run on
/// LiteDB (<see cref="LiteDbBakongCallAuditContractTests"/>) and PostgreSQL (<see cref="PostgresBakongCallAuditContractTests"/>).
/// LiteDB's own mechanics (file lock, concurrent prunes on one file, the queue) are in <see cref="LiteDbCallAuditTests"/>.
/// </summary>
public abstract class BakongCallAuditContract : CallAuditFixture
{
    [Fact]
    public async Task Every_recorded_call_is_persisted_with_all_its_fields_and_survives_a_restart()
    {
        var (audit, writer) = await StartAsync();
        var record = Call(Start, "/v1/check_transaction_by_md5", "d60f3db96913029a2af979a1662c1e72", 200, 1, 1,
            "Transaction could not be found. Please check and try again.", attempt: 2, outcome: "NotFound");
        var failed = Call(Start.AddSeconds(1), "/v1/check_transaction_by_md5", subject: null, httpStatus: null, responseCode: null, message: null, outcome: "Timeout");

        audit.Record(record);
        audit.Record(failed);
        await writer.StopAsync(Ct);
        Close(audit);
        var reopened = await OpenAsync();

        var page = await reopened.PageBakongCallsAsync(new AuditQuery(null, null, 10), new BakongCallFilter(), Ct);
        Assert.Equal(new[] { failed, record }, page.Records);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Pages_walk_a_window_newest_first_without_repeating_or_skipping_records_that_share_an_instant()
    {
        var (audit, _) = await StartAsync();

        // Seven calls at minute 1 (a frozen clock, a burst), one each at minutes 0, 2 and 3; the window leaves out 3.
        audit.Record(Call(Start, "/v1/a", subject: "m0"));
        for (var i = 0; i < 7; i++)
        {
            audit.Record(Call(Start.AddMinutes(1), "/v1/a", subject: "m1-" + i));
        }

        audit.Record(Call(Start.AddMinutes(2), "/v1/a", subject: "m2"));
        audit.Record(Call(Start.AddMinutes(3), "/v1/a", subject: "m3"));
        await audit.FlushAsync(Ct);

        var pages = 0;
        var seen = await AllAsync(async cursor =>
        {
            pages++;
            var page = await audit.PageBakongCallsAsync(new AuditQuery(Start, Start.AddMinutes(3), PageSize: 3, cursor), new BakongCallFilter(), Ct);
            Assert.InRange(page.Records.Count, 1, 3);
            return page;
        });

        Assert.Equal(["m2", "m1-6", "m1-5", "m1-4", "m1-3", "m1-2", "m1-1", "m1-0", "m0"], seen.Select(r => r.Subject));
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_page_keeps_only_the_window_endpoint_outcome_and_error_code_asked_for()
    {
        var (audit, _) = await StartAsync();
        audit.Record(Call(Start, "/v1/a", subject: "hit-0", errorCode: 6, outcome: "BakongError"));
        audit.Record(Call(Start, "/v1/a", errorCode: 1, outcome: "BakongError"));
        audit.Record(Call(Start, "/v1/b", errorCode: 6, outcome: "BakongError"));
        audit.Record(Call(Start, "/v1/a", outcome: "Paid"));
        audit.Record(Call(Start.AddHours(1), "/v1/a", subject: "hit-1", errorCode: 6, outcome: "BakongError"));
        audit.Record(Call(Start.AddHours(2), "/v1/a", subject: "after-the-window", errorCode: 6, outcome: "BakongError"));
        await audit.FlushAsync(Ct);

        var calls = await audit.PageBakongCallsAsync(
            new AuditQuery(Start, Start.AddHours(2), AuditQuery.MaxPageSize), new BakongCallFilter("/v1/a", "BakongError", 6), Ct);
        var paid = await audit.PageBakongCallsAsync(new AuditQuery(null, null, 10), new BakongCallFilter(Outcome: "Paid"), Ct);
        var b = await audit.PageBakongCallsAsync(new AuditQuery(null, null, 10), new BakongCallFilter(Endpoint: "/v1/b"), Ct);

        Assert.Equal(["hit-1", "hit-0"], calls.Records.Select(r => r.Subject));
        Assert.Null(calls.Next);
        Assert.Equal(("/v1/a", "Paid"), (Assert.Single(paid.Records).Endpoint, paid.Records[0].Outcome));
        Assert.Equal(6, Assert.Single(b.Records).ErrorCode);
    }

    [Fact]
    public async Task Records_older_than_the_retention_and_the_oldest_beyond_the_maximum_count_are_pruned()
    {
        Options.Retention = TimeSpan.FromDays(30);
        Options.MaxRecords = 3;
        var (audit, writer) = await StartAsync();
        audit.Record(Call(Start, "old"));
        for (var i = 0; i < 5; i++)
        {
            audit.Record(Call(Start.AddDays(20).AddSeconds(i), "recent" + i));
        }

        await writer.StopAsync(Ct);
        Time.Advance(TimeSpan.FromDays(31));
        var pruned = await audit.PruneAsync(Ct);
        var again = await audit.PruneAsync(Ct);

        Assert.Equal((3, 0), (pruned, again));
        var kept = await AllAsync(cursor => audit.PageBakongCallsAsync(new AuditQuery(null, null, 2, cursor), new BakongCallFilter(), Ct));
        Assert.Equal(["recent4", "recent3", "recent2"], kept.Select(r => r.Endpoint));
    }

    [Fact]
    public async Task Recording_a_burst_never_waits_for_the_store_and_a_flush_sees_it_all()
    {
        var (audit, _) = await StartAsync();

        // More than one batch of the writer (256).
        for (var i = 0; i < 600; i++)
        {
            audit.Record(Call(Start.AddMilliseconds(i), "/v1/burst", subject: "s" + i));
        }

        await audit.FlushAsync(Ct);

        var all = await AllAsync(cursor => audit.PageBakongCallsAsync(new AuditQuery(null, null, AuditQuery.MaxPageSize, cursor), new BakongCallFilter(), Ct));
        Assert.Equal(Enumerable.Range(0, 600).Reverse().Select(i => "s" + i), all.Select(r => r.Subject));
        Assert.Equal(0, audit.DroppedCount);
    }

    private protected static BakongCallRecord Call(
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

/// <summary>
/// What the API audit promises (ListApiCalls, <c>bakong audit api</c>), asserted once and run on LiteDB
/// (<see cref="LiteDbApiCallAuditContractTests"/>) and PostgreSQL (<see cref="PostgresApiCallAuditContractTests"/>).
/// </summary>
public abstract class ApiCallAuditContract : CallAuditFixture
{
    [Fact]
    public async Task Every_recorded_api_call_is_persisted_with_all_its_fields_and_survives_a_restart()
    {
        var (audit, writer) = await StartAsync();
        var create = new ApiCallRecord(Start, "k3v9q2m7x1ab", "ipv4:192.168.1.20:50000", "CreatePayment", "p1", "OK") { Auth = "key+certificate" };
        var refused = new ApiCallRecord(Start.AddSeconds(1), "-", "ipv6:[::1]:40000", "CancelPayment", null, "UNAUTHENTICATED");

        audit.Record(create);
        audit.Record(refused);
        await writer.StopAsync(Ct);
        Close(audit);
        var reopened = await OpenAsync();

        var page = await reopened.PageApiCallsAsync(new AuditQuery(null, null, 10), new ApiCallFilter(), Ct);
        Assert.Equal(new[] { refused, create }, page.Records);
        Assert.Equal("-", page.Records[0].Auth);
    }

    [Fact]
    public async Task A_page_keeps_only_the_client_action_and_outcome_asked_for_newest_first_across_pages()
    {
        var (audit, _) = await StartAsync();
        for (var i = 0; i < 5; i++)
        {
            audit.Record(new ApiCallRecord(Start.AddSeconds(i), "k3v9q2m7x1ab", "ipv4:127.0.0.1:1", "CreatePayment", "p" + i, "OK"));
        }

        audit.Record(new ApiCallRecord(Start, "k3v9q2m7x1ab", "ipv4:127.0.0.1:1", "CancelPayment", "p1", "OK"));
        audit.Record(new ApiCallRecord(Start, "bbbbbbbbbbbb", "ipv4:127.0.0.1:1", "CreatePayment", "other", "OK"));
        audit.Record(new ApiCallRecord(Start, "-", "ipv4:127.0.0.1:2", "CreatePayment", null, "UNAUTHENTICATED"));
        await audit.FlushAsync(Ct);

        var creates = await AllAsync(cursor => audit.PageApiCallsAsync(
            new AuditQuery(null, null, 2, cursor), new ApiCallFilter(ClientId: "k3v9q2m7x1ab", Action: "CreatePayment"), Ct));
        var windowed = await audit.PageApiCallsAsync(
            new AuditQuery(Start.AddSeconds(1), Start.AddSeconds(3), 10), new ApiCallFilter(ClientId: "k3v9q2m7x1ab"), Ct);
        var refused = await audit.PageApiCallsAsync(new AuditQuery(null, null, 10), new ApiCallFilter(Outcome: "UNAUTHENTICATED"), Ct);

        Assert.Equal(["p4", "p3", "p2", "p1", "p0"], creates.Select(r => r.Target));
        Assert.Equal(["p2", "p1"], windowed.Records.Select(r => r.Target));
        Assert.Equal("-", Assert.Single(refused.Records).ClientId);
    }

    [Fact]
    public async Task Api_calls_are_pruned_by_the_same_retention_and_maximum_as_the_bakong_calls_each_on_its_own()
    {
        Options.Retention = TimeSpan.FromDays(30);
        Options.MaxRecords = 3;
        var (audit, writer) = await StartAsync();
        audit.Record(new BakongCallRecord(Start.AddDays(25), "/v1/check_transaction_by_md5", null, 200, 0, null, null, TimeSpan.Zero, 1, "Paid"));
        audit.Record(new ApiCallRecord(Start, "aaaaaaaaaaaa", "ipv4:192.168.1.20:50000", "CreatePayment", "old", "OK"));
        for (var i = 0; i < 4; i++)
        {
            audit.Record(new ApiCallRecord(Start.AddDays(20).AddSeconds(i), "bbbbbbbbbbbb", "ipv4:127.0.0.1:1", "CancelPayment", "p" + i, "NOT_FOUND"));
        }

        await writer.StopAsync(Ct);
        Time.Advance(TimeSpan.FromDays(31));
        var pruned = await audit.PruneAsync(Ct);

        // Older than the retention (the first API call), then the oldest beyond MaxRecords (p0); the Bakong call stays.
        Assert.Equal(2, pruned);
        var kept = await audit.PageApiCallsAsync(new AuditQuery(null, null, 10), new ApiCallFilter(), Ct);
        Assert.Equal(["p3", "p2", "p1"], kept.Records.Select(r => r.Target));
        Assert.Single((await audit.PageBakongCallsAsync(new AuditQuery(null, null, 10), new BakongCallFilter(), Ct)).Records);
    }
}

/// <summary>The Bakong call audit contract on LiteDB (<c>bakong-audit.db</c>).</summary>
public sealed class LiteDbBakongCallAuditContractTests : BakongCallAuditContract
{
    private protected override Task<CallAudit> OpenAsync() => Task.FromResult(NewLiteDb());
}

/// <summary>The Bakong call audit contract on PostgreSQL: a fresh database of the run's throwaway cluster per test.</summary>
public sealed class PostgresBakongCallAuditContractTests(PostgresCluster cluster) : BakongCallAuditContract
{
    private string? _database;

    private protected override Task<CallAudit> OpenAsync() => NewPostgresAsync(cluster, () => _database, d => _database = d);
}

/// <summary>The API audit contract on LiteDB (<c>bakong-audit.db</c>).</summary>
public sealed class LiteDbApiCallAuditContractTests : ApiCallAuditContract
{
    private protected override Task<CallAudit> OpenAsync() => Task.FromResult(NewLiteDb());
}

/// <summary>The API audit contract on PostgreSQL: a fresh database of the run's throwaway cluster per test.</summary>
public sealed class PostgresApiCallAuditContractTests(PostgresCluster cluster) : ApiCallAuditContract
{
    private string? _database;

    private protected override Task<CallAudit> OpenAsync() => NewPostgresAsync(cluster, () => _database, d => _database = d);
}
