using System.Globalization;
using Bakong.EndToEnd.Tests.Crash;
using Bakong.EndToEnd.Tests.Processes;
using Bakong.Grpc.Payments.V1;
using Bakong.Testing.Postgres;
using Grpc.Core;
using State = Bakong.Grpc.Payments.V1.Payment.Types.State;

namespace Bakong.EndToEnd.Tests.Replicas;

/// <summary>
/// Two gateway processes (replicas A and B) on one PostgreSQL database of the test run's throwaway cluster, both
/// asking one sandbox process (Bakong) and posting to one webhook receiver: what issue 16 asks of scale-out, seen from
/// outside. A create on A is watched on B; the polling is shared (Bakong's own call log counts md5-list calls per
/// round across both); A killed with SIGKILL leaves its pending payments to B, which settles them within a lease plus
/// a poll interval, each once. The replicas need API keys: the first operator key is made as docs/cli.md says for
/// PostgreSQL (<c>bakong clients add</c> with the gateway's storage settings), and every call carries it.
/// </summary>
public sealed class TwoReplicaTests(PostgresCluster cluster) : IAsyncLifetime
{
    /// <summary>Short, so the take-over is quick to see; production keeps the 30 s default (docs/operations.md).</summary>
    private static readonly TimeSpan s_lease = TimeSpan.FromSeconds(4);

    /// <summary>The poll interval, and the tick too: each replica then makes one pass per round once its payments are in step.</summary>
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(90);

    private const int OnA = 60;
    private const int OnB = 30;
    private const int Expiring = 4;

    private readonly string _shared = Path.Combine(Path.GetTempPath(), "bakong-replicas-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_replicas_share_the_polling_and_the_survivor_of_a_kill_9_settles_the_others_pending_payments_once_each()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var sandbox = await SandboxProcess.StartAsync(Ct);
        await using var hooks = await WebhookReceiver.StartAsync(Ct);
        var settings = Settings(database, sandbox, hooks);

        var key = await AddFirstOperatorAsync(database);
        await using var a = await GatewayProcess.StartAsync(settings, Ct);
        a.ApiKey = key;
        await SetTokenAsync(sandbox, a, key);
        await using var b = await GatewayProcess.StartAsync(settings, Ct);
        b.ApiKey = key;

        // Create on A, watch on B, the customer pays: B's stream sees PAID (A's poller or B's, whichever holds it).
        var first = await CreateAsync(a, "first", "till-0", expiresIn: null);
        using (var watch = b.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = first.PaymentId }, cancellationToken: Ct))
        {
            Assert.Equal(State.Pending, (await NextAsync(watch, b)).State);
            await sandbox.PayAsync(first.Khqr, TimeSpan.Zero, Ct);
            await UntilAsync(watch, b, State.Paid);
        }

        // Pending payments on both replicas: each replica's poller takes (leases) the ones its creates woke it for.
        var onA = new List<Payment>();
        for (var i = 0; i < OnA; i++)
        {
            onA.Add(await CreateAsync(a, "a-" + i, "till-" + (1 + (i % 4)), expiresIn: null));
        }

        var onB = new List<Payment>();
        for (var i = 0; i < OnB; i++)
        {
            onB.Add(await CreateAsync(b, "b-" + i, "till-" + (5 + (i % 2)), expiresIn: null));
        }

        var pending = OnA + OnB;

        // Sync point: a payment Bakong acknowledges several rounds from now, seen PAID on B. Meanwhile the replicas
        // poll in step; the rounds from the second half of this wait are the steady state counted below.
        var sentinel = onB[^1];
        var sentinelPaidAfter = TimeSpan.FromTicks(s_interval.Ticks * 8);
        var steadyFrom = TimeProvider.System.GetUtcNow() + (sentinelPaidAfter / 2);
        using (var watch = b.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = sentinel.PaymentId }, cancellationToken: Ct))
        {
            Assert.Equal(State.Pending, (await NextAsync(watch, b)).State);
            await sandbox.PayAsync(sentinel.Khqr, sentinelPaidAfter, Ct);
            await UntilAsync(watch, b, State.Paid);
        }

        var steadyTo = TimeProvider.System.GetUtcNow();
        var steady = Rounds((await sandbox.Md5ListCallsAsync(Ct)).Where(c => c.At >= steadyFrom && c.At < steadyTo).ToList());
        var bound = (pending + 49) / 50;
        Report($"steady state, {pending} pending on two replicas: md5-list calls per round {string.Join(" ", steady.Select(r => r.Count))} "
            + $"(md5s per round {string.Join(" ", steady.Select(r => r.Sum(c => c.Md5s.Count)))}); bound ⌈{pending}/50⌉ = {bound}");
        Assert.True(steady.Count >= 2, "fewer than two steady rounds were seen");

        // Across both replicas as for one: each keeps its full batches of 50 and only the replica with the lowest id a
        // partial one (PostgresPaymentStore.GetDueAsync), so a round is ⌈pending/50⌉ calls, not one partial batch each.
        Assert.All(steady.Skip(1).SkipLast(1), round => Assert.InRange(round.Count, 1, bound));

        // A's pending payments, and a few that nobody pays, then A is killed mid-lease: B must take them all over.
        var expiring = new List<Payment>();
        for (var i = 0; i < Expiring; i++)
        {
            expiring.Add(await CreateAsync(a, "x-" + i, "till-9", expiresIn: TimeSpan.FromSeconds(10)));
        }

        var toPay = onA.Concat(onB).Where(p => p.PaymentId != sentinel.PaymentId).ToList();
        var watches = toPay.Concat(expiring).ToDictionary(
            p => p.PaymentId, p => b.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = p.PaymentId }, cancellationToken: Ct));
        try
        {
            foreach (var watch in watches.Values)
            {
                Assert.Equal(State.Pending, (await NextAsync(watch, b)).State);
            }

            await a.KillAsync(Ct);
            var killed = TimeProvider.System.GetUtcNow();
            foreach (var payment in toPay)
            {
                await sandbox.PayAsync(payment.Khqr, TimeSpan.Zero, Ct);
            }

            foreach (var payment in toPay)
            {
                await UntilAsync(watches[payment.PaymentId], b, State.Paid);
            }

            var allPaid = TimeProvider.System.GetUtcNow() - killed;
            foreach (var payment in expiring)
            {
                await UntilAsync(watches[payment.PaymentId], b, State.Expired);
            }

            Report($"after the kill: {toPay.Count} paid through B in {allPaid.TotalSeconds:F1} s (lease {s_lease.TotalSeconds} s + interval {s_interval.TotalSeconds} s)");
        }
        finally
        {
            foreach (var watch in watches.Values)
            {
                watch.Dispose();
            }
        }

        // From Bakong's side: no payment was checked twice in one round (two replicas never hold it at once), and none
        // waited longer than a lease plus a round between two checks (B took A's over when A's leases ran out).
        var calls = await sandbox.Md5ListCallsAsync(Ct);
        var gaps = toPay.Select(p => calls.Where(c => c.Md5s.Contains(p.Md5)).Select(c => c.At).ToList())
            .SelectMany(times => times.Zip(times.Skip(1), (x, y) => y - x)).ToList();
        Report($"gaps between two checks of one payment: min {gaps.Min().TotalSeconds:F2} s, max {gaps.Max().TotalSeconds:F2} s");
        Assert.All(gaps, gap => Assert.True(gap >= s_interval / 2, $"a payment was checked twice {gap.TotalMilliseconds} ms apart"));

        // Slack for a loaded machine: a pass's own time, process scheduling.
        var takeover = s_lease + s_interval + s_interval + TimeSpan.FromSeconds(3);
        Assert.All(gaps, gap => Assert.True(gap <= takeover, $"a payment went {gap.TotalSeconds:F1} s unchecked (limit {takeover.TotalSeconds} s)"));

        // Every outcome reached the back office, one paid event per payment (delivered at least once: the same event
        // id may come twice), one expired event per unpaid one, and nothing reported two ways.
        var paid = toPay.Append(first).Append(sentinel).ToList();
        await hooks.WaitUntilAsync(
            d => paid.All(p => d.Any(x => x.PaymentId == p.PaymentId && x.Type == "payment.paid"))
                && expiring.All(p => d.Any(x => x.PaymentId == p.PaymentId && x.Type == "payment.expired")),
            s_settle, Ct);
        Assert.All(hooks.Deliveries, d => Assert.True(d.SignatureValid, "bad signature on " + d.EventId));
        Assert.All(paid, p => Assert.Single(hooks.Deliveries.Where(d => d.PaymentId == p.PaymentId).Select(d => (d.EventId, d.Type)).Distinct()));
        Assert.All(expiring, p => Assert.Equal(
            ["payment.expired"], hooks.Deliveries.Where(d => d.PaymentId == p.PaymentId).Select(d => d.Type).Distinct()));
        var duplicates = hooks.Deliveries.Count - hooks.Deliveries.Select(d => d.EventId).Distinct().Count();
        Report($"webhooks: {hooks.Deliveries.Count} deliveries of {hooks.Deliveries.Select(d => d.EventId).Distinct().Count()} events ({duplicates} repeated)");
    }

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_shared);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_shared, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Each replica's settings: the same database, Bakong, webhook and token key file; its own data directory and ports.</summary>
    private Dictionary<string, string> Settings(string database, SandboxProcess sandbox, WebhookReceiver hooks) => new()
    {
        ["Storage__Provider"] = "PostgreSql",
        ["Storage__ConnectionString"] = database,
        ["Storage__DueLease"] = s_lease.ToString("c", CultureInfo.InvariantCulture),
        ["Auth__Mode"] = "ApiKeys",
        ["Bakong__Mode"] = "Sandbox",
        ["Bakong__BaseUrl"] = sandbox.Url.AbsoluteUri,
        ["Bakong__Tokens__KeyPath"] = Path.Combine(_shared, "bakong-tokens.key"),
        ["Webhooks__Url"] = hooks.Url.AbsoluteUri,
        ["Webhooks__Secret"] = WebhookReceiver.Secret,
        ["Webhooks__BackoffBase"] = "00:00:01",
        ["Polling__FastInterval"] = s_interval.ToString("c", CultureInfo.InvariantCulture),
        ["Polling__TickInterval"] = s_interval.ToString("c", CultureInfo.InvariantCulture),
        ["Polling__ExpiryGrace"] = s_interval.ToString("c", CultureInfo.InvariantCulture),

        // One caller makes every create and watch of the test: far more than a till does (Limits:*).
        ["Limits__CreatePaymentsPerMinute"] = "10000",
        ["Limits__CreatePaymentBurst"] = "1000",
        ["Limits__MaxPendingPerTerminal"] = "1000",
        ["Limits__MaxWatchesPerCaller"] = "1000",
    };

    /// <summary>
    /// The first operator key of a PostgreSQL gateway, as docs/cli.md makes it: <c>bakong clients add --role operator</c>
    /// with the gateway's storage settings in the environment, before any replica runs. Its key, for every call after.
    /// </summary>
    private async Task<string> AddFirstOperatorAsync(string database)
    {
        await using var add = ChildProcess.Start(
            Built.Cli,
            ["clients", "add", "--role", "operator", "--name", "Chain operator", "--json", "--data", _shared],
            new Dictionary<string, string> { ["Storage__Provider"] = "PostgreSql", ["Storage__ConnectionString"] = database });
        Assert.True(await add.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, add.Output);
        Assert.False(File.Exists(Path.Combine(_shared, "bakong-clients.db")), "a LiteDB client file was written");
        return System.Text.Json.JsonDocument.Parse(add.Output.Split('\n').Single(l => l.StartsWith('{'))).RootElement.GetProperty("key").GetString()!;
    }

    /// <summary>The operator's set-up on PostgreSQL (docs/operations.md): the token Bakong e-mailed, set through a running replica's admin API with the operator's key; every replica reads it from the database.</summary>
    private static async Task SetTokenAsync(SandboxProcess sandbox, GatewayProcess gateway, string key)
    {
        var token = await sandbox.IssueTokenAsync("chain@example.com", Ct);
        await using var set = ChildProcess.Start(
            Built.Cli, ["token", "set", token, "--email", "chain@example.com", "--server", gateway.GrpcUrl.AbsoluteUri.TrimEnd('/'), "--key", key]);
        Assert.True(await set.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, set.Output);
    }

    private static async Task<Payment> CreateAsync(GatewayProcess gateway, string requestId, string terminal, TimeSpan? expiresIn)
    {
        var request = new CreatePaymentRequest
        {
            RequestId = requestId,
            TerminalId = terminal,
            Amount = new Money { CurrencyCode = "KHR", Units = 1000 + requestId.Length },
            OrderRef = "order-" + requestId,
        };
        if (expiresIn is { } expiry)
        {
            request.ExpiresIn = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(expiry);
        }

        return (await gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct)).Payment;
    }

    /// <summary>
    /// The md5-list calls cut into rounds: a round ends where a call asks about an md5 the round asked about already
    /// (so within one, each pending payment is asked about at most once, whichever replica asks).
    /// </summary>
    private static List<List<Md5ListCall>> Rounds(IReadOnlyList<Md5ListCall> calls)
    {
        var rounds = new List<List<Md5ListCall>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in calls.OrderBy(c => c.At))
        {
            if (rounds.Count == 0 || call.Md5s.Any(seen.Contains))
            {
                rounds.Add([]);
                seen.Clear();
            }

            rounds[^1].Add(call);
            seen.UnionWith(call.Md5s);
        }

        return rounds;
    }

    private static async Task<Payment> NextAsync(AsyncServerStreamingCall<WatchPaymentResponse> watch, GatewayProcess gateway)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timer.CancelAfter(s_settle);
        try
        {
            Assert.True(await watch.ResponseStream.MoveNext(timer.Token), "the watch ended");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !Ct.IsCancellationRequested)
        {
            Assert.Fail($"No change within {s_settle}. Gateway output:\n{gateway.Output}");
        }

        return watch.ResponseStream.Current.Payment;
    }

    private static async Task UntilAsync(AsyncServerStreamingCall<WatchPaymentResponse> watch, GatewayProcess gateway, State state)
    {
        // The caller has read the first (PENDING) message: Current is the latest state seen.
        for (var payment = watch.ResponseStream.Current.Payment; payment.State != state; payment = await NextAsync(watch, gateway))
        {
            Assert.True(payment.State == State.Pending, $"{payment.PaymentId} settled as {payment.State}, not {state}");
        }
    }

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}
