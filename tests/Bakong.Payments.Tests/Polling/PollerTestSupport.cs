using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Bakong.OpenApi.Client;
using Bakong.Payments.Creation;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Polling;

/// <summary>
/// An <see cref="IBakongClient"/> that answers md5 list checks as scripted (not found unless told otherwise) and
/// records every call. Only the list check is implemented: it is all the poller uses.
/// </summary>
internal sealed class FakeBakongClient : IBakongClient
{
    private readonly ConcurrentDictionary<string, BakongResult<TransactionCheck>> _answers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every list call's md5s, in order.</summary>
    public List<string[]> Calls { get; } = [];

    /// <summary>When set, every md5 gets this fault.</summary>
    public BakongResult<TransactionCheck>? FaultAll { get; set; }

    /// <summary>Runs inside each call, before it answers (e.g. a cancel racing the poller).</summary>
    public Func<string[], Task>? DuringCall { get; set; }

    public void Pay(string md5, BakongTransaction transaction) =>
        _answers[md5] = BakongResult<TransactionCheck>.Success(new TransactionCheck.Paid(transaction), "Success");

    public void FailTransfer(string md5, string message = "Transaction failed.") =>
        _answers[md5] = BakongResult<TransactionCheck>.Success(new TransactionCheck.Failed(message), message);

    public void Answer(string md5, BakongResult<TransactionCheck> result) => _answers[md5] = result;

    /// <summary>md5s the list answer leaves out.</summary>
    public HashSet<string> Omitted { get; } = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByMd5Async(
        IEnumerable<string> md5s, CancellationToken cancellationToken)
    {
        var list = md5s.ToArray();
        lock (Calls)
        {
            Calls.Add(list);
        }

        if (DuringCall is { } during)
        {
            await during(list);
        }

        var results = new Dictionary<string, BakongResult<TransactionCheck>>(StringComparer.OrdinalIgnoreCase);
        foreach (var md5 in list.Where(m => !Omitted.Contains(m)))
        {
            results[md5] = FaultAll
                ?? _answers.GetValueOrDefault(md5)
                ?? BakongResult<TransactionCheck>.Success(new TransactionCheck.NotFound("Transaction could not be found."), "not found");
        }

        return results;
    }

    public int CallsFor(string md5)
    {
        lock (Calls)
        {
            return Calls.Count(c => c.Contains(md5, StringComparer.OrdinalIgnoreCase));
        }
    }

    public Task<BakongResult<TransactionCheck>> CheckTransactionByMd5Async(string md5, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<BakongResult<TransactionCheck>> CheckTransactionByHashAsync(string hash, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<BakongResult<TransactionCheck>> CheckTransactionByShortHashAsync(string shortHash, decimal amount, string currency, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByHashAsync(IEnumerable<string> hashes, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<BakongResult<TransactionCheck>> CheckTransactionByInstructionRefAsync(string instructionRef, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<BakongResult<TransactionCheck>> CheckTransactionByExternalRefAsync(string externalRef, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<BakongResult<Uri>> GenerateDeeplinkAsync(string qr, DeeplinkSourceInfo? sourceInfo, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<BakongResult<BakongAccountCheck>> CheckBakongAccountAsync(string accountId, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

/// <summary>Records log events by name.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message)> Records { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Records.Enqueue((eventId, logLevel, formatter(state, exception)));

    public int Count(string eventName) => Records.Count(r => r.Id.Name == eventName);
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when the code under test has created its n-th timer (is waiting), or its
/// n-th of <c>dueTimeOnly</c> when that is given.
/// </summary>
internal sealed class TimerCountingTimeProvider(DateTimeOffset start, TimeSpan? dueTimeOnly = null) : FakeTimeProvider(start)
{
    private readonly CountSignal _created = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTimeOnly is not { } only || dueTime == only)
        {
            _created.Increment();
        }

        return timer;
    }

    public int Created => _created.Count;

    public Task WaitForTimersAsync(int count) =>
        _created.ReachedAsync(count).WaitAsync(PollerHarness.SignalTimeout, TestContext.Current.CancellationToken);
}

/// <summary>
/// A poller over a real <see cref="LiteDbPaymentStore"/> in a temp file, a <see cref="FakeBakongClient"/> and a fake
/// clock. Tests drive passes with <see cref="RunAsync"/>, or start the loop itself.
/// </summary>
internal sealed class PollerHarness : IAsyncDisposable
{
    public static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new();
    private readonly ServiceProvider _metricsServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly Action<PaymentPollerOptions>? _configure;

    public PollerHarness(Action<PaymentPollerOptions>? configure = null)
    {
        _configure = configure;
        Store = new LiteDbPaymentStore(DatabasePath);
        Poller = NewPoller();
    }

    public TimerCountingTimeProvider Clock { get; } = new(TestPayments.Start);

    public FakeBakongClient Bakong { get; } = new();

    public PollerSignal Signal { get; } = new();

    public ListLogger<PaymentPoller> Logger { get; } = new();

    public LiteDbPaymentStore Store { get; private set; }

    public PaymentPoller Poller { get; private set; }

    public IMeterFactory MeterFactory => _metricsServices.GetRequiredService<IMeterFactory>();

    /// <summary>While set, every save the poller's write path tries is a conflict, as if another writer saved first each time.</summary>
    public bool SavesConflict { get; set; }

    public string DatabasePath => _dir.File("bakong.db");

    public PaymentCreation Creation => TestPayments.Creation(Store, Clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public PaymentPollerOptions Options()
    {
        var options = new PaymentPollerOptions();
        _configure?.Invoke(options);
        return options;
    }

    /// <summary>One pass at <paramref name="now"/> (default: the fake clock's time), which also moves the clock there.</summary>
    public Task<PollPass> RunAsync(DateTimeOffset? now = null)
    {
        var at = now ?? Clock.GetUtcNow();
        if (at > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(at);
        }

        return Poller.RunOnceAsync(at, Ct);
    }

    /// <summary>A payment created through <see cref="PaymentCreation"/> at the clock's time.</summary>
    public async Task<Payment> CreateAsync(decimal amount = 1.50m, TimeSpan? expiresIn = null)
    {
        var result = await Creation.CreateAsync(
            new CreatePaymentRequest
            {
                RequestId = "req-" + Guid.NewGuid().ToString("N"),
                TerminalId = "till-1",
                Currency = "USD",
                Amount = amount,
                ExpiresIn = expiresIn,
            },
            Ct);
        return Assert.IsType<CreatePaymentResult.Created>(result).Payment;
    }

    /// <summary>Stores a test payment (not through the factory: faster for many).</summary>
    public async Task<Payment> InsertAsync(DateTimeOffset? createTime = null, TimeSpan? expiresIn = null)
    {
        var payment = TestPayments.New(createTime ?? Clock.GetUtcNow(), expiresIn: expiresIn);
        Assert.True((await Store.InsertIfAbsentAsync(payment, Ct)).Inserted);
        return payment;
    }

    public async Task<Payment> GetAsync(Payment payment) => (await Store.GetAsync(payment.Id, Ct))!;

    /// <summary>Runs passes at each stored next check time until the payment leaves <paramref name="state"/> or <paramref name="until"/> is reached; returns the check times.</summary>
    public async Task<List<DateTimeOffset>> RunWhileAsync(Payment payment, PaymentState state, DateTimeOffset until)
    {
        var times = new List<DateTimeOffset>();
        var current = await GetAsync(payment);
        while (current.State == state && current.NextCheckTime is { } next && next <= until)
        {
            await RunAsync(next);
            times.Add(next);
            current = await GetAsync(payment);
        }

        return times;
    }

    /// <summary>Closes the store and opens the same file in a new store with a new poller, as a restarted gateway would.</summary>
    public void Restart()
    {
        Store.Dispose();
        Store = new LiteDbPaymentStore(DatabasePath);
        Poller = NewPoller();
    }

    public async ValueTask DisposeAsync()
    {
        Poller.Dispose();
        Store.Dispose();
        await _metricsServices.DisposeAsync();
        _dir.Dispose();
    }

    private PaymentPoller NewPoller() => new(
        Store,
        new PaymentWriter(new ConflictingStore(Store, this), []),
        Bakong,
        Signal,
        Microsoft.Extensions.Options.Options.Create(Options()),
        Clock,
        Logger,
        new PollerMetrics(MeterFactory));

    private sealed class ConflictingStore(IPaymentStore inner, PollerHarness harness) : DelegatingPaymentStore(inner)
    {
        public override Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken) =>
            harness.SavesConflict ? Task.FromResult(SaveResult.Conflict) : base.SaveAsync(payment, cancellationToken);
    }
}

internal static class Faults
{
    public static BakongResult<TransactionCheck> Of(BakongFaultKind kind, int? status = null) =>
        BakongResult<TransactionCheck>.Failed(new BakongFault(kind, "simulated " + kind, status));
}
