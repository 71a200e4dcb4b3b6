using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Khqr;
using Bakong.OpenApi.Client;
using Bakong.Payments;
using Bakong.Payments.Creation;
using Bakong.Payments.Storage;
using BenchmarkDotNet.Attributes;

namespace Bakong.Benchmarks;

/// <summary>
/// ListPayments' first page over a store of <see cref="PaymentSeeding.Count"/> payments, for each kind of filter. The
/// store is seeded once (<see cref="PaymentSeeding"/>) and reused by every run; see docs/benchmarks.md.
/// </summary>
public class PaymentListBenchmarks
{
    private LiteDbPaymentStore _store = null!;
    private PaymentQuery _query = null!;

    [Params("none", "terminal", "paid", "failed (rare)", "one day", "terminal+failed", "terminal+one day", "failed+one day")]
    public string Filter { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _store = new LiteDbPaymentStore(PaymentSeeding.EnsureSeeded());
        var day = PaymentSeeding.Start.AddDays(20);
        _query = Filter switch
        {
            "none" => new PaymentQuery(),
            "terminal" => new PaymentQuery { TerminalId = "POS-07" },
            "paid" => new PaymentQuery { State = PaymentState.Paid },
            "failed (rare)" => new PaymentQuery { State = PaymentState.Failed },
            "one day" => new PaymentQuery { CreatedFrom = day, CreatedTo = day.AddDays(1) },
            "terminal+failed" => new PaymentQuery { TerminalId = "POS-07", State = PaymentState.Failed },
            "terminal+one day" => new PaymentQuery { TerminalId = "POS-07", CreatedFrom = day, CreatedTo = day.AddDays(1) },
            "failed+one day" => new PaymentQuery { State = PaymentState.Failed, CreatedFrom = day, CreatedTo = day.AddDays(1) },
            _ => throw new InvalidOperationException(Filter),
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark]
    public int FirstPage() => _store.ListAsync(_query, CancellationToken.None).GetAwaiter().GetResult().Payments.Count;
}

/// <summary>
/// The poller's pick of due payments (<see cref="IPaymentStore.GetDueAsync"/>) with one terminal's flood of 20,000
/// due payments and one other terminal's one: the pick is fair between terminals and must stay cheap. A fresh store
/// is seeded for each case (the pick does not change it).
/// </summary>
public class PaymentDueBenchmarks
{
    private static readonly DateTimeOffset s_now = PaymentSeeding.Start.AddMinutes(30);

    private string _directory = null!;
    private LiteDbPaymentStore _store = null!;

    /// <summary>Polling:MaxDuePerPass, and one list call's worth.</summary>
    [Params(1000, 50)]
    public int Limit { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "bakong-bench-due-" + Environment.ProcessId + "-" + Limit);
        _store = new LiteDbPaymentStore(Path.Combine(_directory, "bakong.db"));
        Parallel.ForEachAsync(
            Enumerable.Range(0, 20_001),
            new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (i, ct) =>
            {
                var terminal = i == 20_000 ? "POS-02" : "POS-01";
                var created = PaymentSeeding.Start.AddMinutes(20).AddMilliseconds(i);
                await _store.InsertIfAbsentAsync(PaymentSeeding.New(i, created, terminal), ct).ConfigureAwait(false);
            }).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public int PickDue() => _store.GetDueAsync(s_now, Limit, CancellationToken.None).GetAwaiter().GetResult().Count;
}

/// <summary>The store's share of the gateway's start: open, count the states (the gauge's seed), close.</summary>
public class PaymentStoreOpenBenchmarks
{
    private string _path = null!;

    [Params(0, PaymentSeeding.Count)]
    public int Payments { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Payments == 0)
        {
            _path = Path.Combine(Path.GetTempPath(), "bakong-bench-empty-" + Environment.ProcessId, "bakong.db");
            new LiteDbPaymentStore(_path).Dispose();
        }
        else
        {
            _path = PaymentSeeding.EnsureSeeded();
        }
    }

    [Benchmark]
    public long OpenAndCount()
    {
        using var store = new LiteDbPaymentStore(_path);
        return store.CountByStateAsync(CancellationToken.None).GetAwaiter().GetResult()[PaymentState.Paid];
    }
}

/// <summary>
/// A payment store of <see cref="Count"/> payments over 30 days: 50 terminals, 99.9 % paid, 0.1 % failed (the rare
/// state), made through the store's public API. Kept in <c>$BAKONG_BENCH_STORE</c> (default
/// <c>/var/tmp/bakong-bench-100k/bakong.db</c>) and made only when it is not there.
/// </summary>
public static class PaymentSeeding
{
    public const int Count = 100_000;

    public static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Path { get; } = Environment.GetEnvironmentVariable("BAKONG_BENCH_STORE") ?? "/var/tmp/bakong-bench-100k/bakong.db";

    public static string EnsureSeeded()
    {
        var done = Path + ".seeded";
        if (!File.Exists(done))
        {
            SeedAsync(Path, Count).GetAwaiter().GetResult();
            File.WriteAllText(done, Count.ToString(CultureInfo.InvariantCulture));
        }

        return Path;
    }

    public static async Task SeedAsync(string path, int count)
    {
        using var store = new LiteDbPaymentStore(path);
        var step = TimeSpan.FromDays(30) / count;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (i, ct) =>
            {
                var created = Start + (step * i);
                var payment = New(i, created);
                await store.InsertIfAbsentAsync(payment, ct).ConfigureAwait(false);
                if (i % 1000 == 7)
                {
                    payment.Fail("declined by the bank", created.AddSeconds(40));
                }
                else
                {
                    payment.Settle(Transaction(i), created.AddSeconds(40));
                }

                await store.SaveAsync(payment, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    internal static Payment New(int i, DateTimeOffset created, string? terminalId = null)
    {
        var id = PaymentIds.NewPaymentId();
        var parameters = new PaymentParameters
        {
            TerminalId = terminalId ?? "POS-" + (i % 50).ToString("D2", CultureInfo.InvariantCulture),
            Money = Money.Create(KhqrCurrency.Usd, 12.50m),
            OrderRef = "INV-" + i.ToString(CultureInfo.InvariantCulture),
            ExpiresIn = TimeSpan.FromMinutes(5),
            StoreLabel = "Main street",
            TerminalLabel = "Till",
        };

        // About the length of a real KHQR, so documents are the size they are in the gateway.
        var qr = "00020101021229180014shop@aclb5204599953038405405" + new string('0', 120) + id;
        return Payment.Create(
            id,
            "req-" + id,
            PaymentParametersHash.Compute(parameters),
            parameters,
            PaymentIds.BillNumberFor(id),
            "shop@aclb",
            qr,
            Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(qr))),
            created,
            created.AddMinutes(5));
    }

    private static BakongTransaction Transaction(int i) => new()
    {
        Hash = "tx" + i.ToString(CultureInfo.InvariantCulture),
        Currency = "USD",
        Amount = 12.50m,
        ToAccountId = "shop@aclb",
        FromAccountId = "payer@abaa",
        TrackingStatus = "ACKNOWLEDGED_BY_FI",
    };
}
