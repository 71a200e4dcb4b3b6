using Bakong.OpenApi.Tokens;
using Bakong.Payments.V1;
using Microsoft.Extensions.DependencyInjection;
using PaymentEventType = Bakong.Payments.PaymentEventType;
using PaymentState = Bakong.Payments.PaymentState;
using State = Bakong.Payments.V1.Payment.Types.State;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// Bakong faults injected in the in-process sandbox while the real poller and client check a payment the customer has
/// already paid: no fault may change its state or record an event; once the fault clears, it settles as PAID.
/// </summary>
public sealed class FaultTests : IAsyncLifetime
{
    private static readonly TimeSpan FirstFaultDelay = TimeSpan.FromSeconds(5);

    private readonly GatewayFactory _gateway = new();

    public FaultTests()
    {
        // Retries still happen, but at once: a retry delay on the fake clock would wait for the test to move it.
        _gateway.Settings["Bakong:OpenApi:RetryBaseDelay"] = "00:00:00";
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    public static TheoryData<string> Faults => ["500", "503", "429", "malformed", "geo-blocked 403"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_faulting_bakong_leaves_a_paid_payment_pending_without_an_event_and_it_settles_once_the_fault_clears(string fault)
    {
        var (created, watch) = await PaidButFaultingAsync("fault-" + fault.Replace(' ', '-'), fault switch
        {
            "500" => new { serverErrorRate = 1.0 },
            "503" => new { serverErrorRate = 1.0, serverErrorStatus = 503 },
            "429" => new { tooManyRequestsRate = 1.0 },
            "malformed" => new { malformedJsonRate = 1.0 },
            _ => (object)new { geoBlocked = true },
        });
        using var _ = watch;

        // Two faulted checks: each is bookkeeping only, and the poller backs off (5 s, then 10 s, not every 2 s).
        for (var faults = 1; faults <= 2; faults++)
        {
            await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
            await AssertFaultedCheckAsync(created.PaymentId, watch, FirstFaultDelay * faults);
        }

        Assert.NotEmpty(_gateway.Logs.Named("PollerCheckFault"));
        await _gateway.ClearFaultsAsync();
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        var paid = await watch.SettledAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.Equal(created.Amount, paid.BakongTransaction.Amount);
        await watch.EndsAsync();
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Paid], (await Stored(created.PaymentId)).Events.Select(e => e.Type));
    }

    [Fact]
    public async Task A_payment_whose_qr_expires_while_bakong_is_down_stays_pending_and_is_paid_not_expired_when_bakong_answers()
    {
        var (created, watch) = await PaidButFaultingAsync("down-over-expiry", new { serverErrorRate = 1.0 });
        using var _ = watch;
        var expiry = created.ExpireTime.ToDateTimeOffset();

        // Long past the expiry and its grace, Bakong still gives no answer: the payment cannot be called expired.
        // The retry waits the longer of the fault delay (5 s) and the schedule's interval at this age (10 s).
        _gateway.AdvanceAndPollTo(expiry.AddMinutes(1));
        await AssertFaultedCheckAsync(created.PaymentId, watch, TimeSpan.FromSeconds(10));

        await _gateway.ClearFaultsAsync();
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        var settled = await watch.SettledAsync();

        Assert.Equal(State.Paid, settled.State);
        await watch.EndsAsync();
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Paid], (await Stored(created.PaymentId)).Events.Select(e => e.Type));
    }

    [Fact]
    public async Task A_cancel_that_lands_while_a_check_is_finding_the_money_stands_and_the_money_becomes_paid_late()
    {
        var (created, watch) = await PaidButFaultingAsync("cancel-vs-check", new { latencyMs = 1000 });
        using var _ = watch;

        // The poller has read the payment and asked Bakong; Bakong's answer (paid) is held for a second.
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await _gateway.Sandbox.WaitForHeldRequestsAsync(1, Ct).WaitAsync(GatewayFactory.Timeout, Ct);
        var cancelled = (await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        Assert.Equal(State.Cancelled, cancelled.State);
        _gateway.Clock.Advance(TimeSpan.FromSeconds(1));

        // The poller's save conflicts with the cancel; it re-reads and applies the answer to the cancelled payment.
        var late = await _gateway.Store.SavedAsync(created.PaymentId, p => p.State != PaymentState.Cancelled && p.Version > cancelled.Version);
        Assert.Equal(PaymentState.PaidLate, late.State);
        Assert.Equal(cancelled, await watch.SettledAsync());
        var stored = await Stored(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Cancelled, PaymentEventType.PaidLate], stored.Events.Select(e => e.Type));
        Assert.Equal(State.PaidLate, (await _gateway.GetAsync(created.PaymentId)).State);
    }

    [Fact]
    public async Task A_check_bakong_never_answers_times_out_on_the_clock_and_leaves_the_payment_pending_until_bakong_answers_again()
    {
        _gateway.Settings["Bakong:OpenApi:RetryCount"] = "0";
        var (created, watch) = await PaidButFaultingAsync("no-answer", new { timeoutRate = 1.0 });
        using var _ = watch;

        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        await _gateway.Sandbox.WaitForHeldRequestsAsync(1, Ct).WaitAsync(GatewayFactory.Timeout, Ct);
        _gateway.Clock.Advance(TimeSpan.FromSeconds(4)); // Bakong:OpenApi:AttemptTimeout
        await AssertFaultedCheckAsync(created.PaymentId, watch, FirstFaultDelay);
        Assert.NotEmpty(_gateway.Logs.Named("BakongAttemptTimedOut"));

        await _gateway.ClearFaultsAsync();
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        Assert.Equal(State.Paid, (await watch.SettledAsync()).State);
    }

    [Fact]
    public async Task A_rejected_token_that_cannot_be_renewed_leaves_the_payment_pending_until_an_operator_sets_a_new_one()
    {
        // The renewal e-mail is one the sandbox never registered, so renew_token fails and the 401 stays.
        _gateway.Settings["Bakong:Tokens:Email"] = "nobody@shop.kh";
        var (created, watch) = await PaidButFaultingAsync("unauthorized", faults: null);
        using var _ = watch;
        await _gateway.ControlAsync(HttpMethod.Post, "tokens/expire");

        for (var faults = 1; faults <= 2; faults++)
        {
            await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
            await AssertFaultedCheckAsync(created.PaymentId, watch, FirstFaultDelay * faults);
        }

        Assert.NotEmpty(_gateway.Logs.Named("BakongTokenNotRenewed"));
        _gateway.Services.GetRequiredService<BakongTokenManager>().Set(_gateway.Sandbox.IssueToken().Token);
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        Assert.Equal(State.Paid, (await watch.SettledAsync()).State);
    }

    [Fact]
    public async Task An_expired_token_is_renewed_once_and_the_same_check_settles_the_payment()
    {
        var (created, watch) = await PaidButFaultingAsync("renew-me", faults: null);
        using var _ = watch;
        await _gateway.ControlAsync(HttpMethod.Post, "tokens/expire");

        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.NextAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.Single(_gateway.Logs.Named("BakongTokenRejected"));
        Assert.Single(_gateway.Logs.Named("TokenRenewed"));
    }

    [Fact]
    public async Task With_the_md5_list_endpoint_refused_the_payment_settles_through_single_md5_checks()
    {
        var (created, watch) = await PaidButFaultingAsync("list-refused", new { md5ListForbidden = true });
        using var _ = watch;

        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(State.Paid, (await watch.NextAsync()).State);
        Assert.Single(_gateway.Logs.Named("BakongMd5ListRefused"));
    }

    [Fact]
    public async Task While_the_circuit_is_open_a_healthy_bakong_is_not_asked_and_the_payment_stays_pending_then_settles_when_it_closes()
    {
        _gateway.Settings["Bakong:OpenApi:RetryCount"] = "0";
        _gateway.Settings["Bakong:OpenApi:CircuitBreakerMinimumThroughput"] = "2";
        _gateway.Settings["Bakong:OpenApi:CircuitBreakerSamplingDuration"] = "00:01:00";
        _gateway.Settings["Bakong:OpenApi:CircuitBreakerBreakDuration"] = "00:01:00";
        var (created, watch) = await PaidButFaultingAsync("circuit", new { serverErrorRate = 1.0 });
        using var _ = watch;
        for (var faults = 1; faults <= 2; faults++)
        {
            await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
            await AssertFaultedCheckAsync(created.PaymentId, watch, FirstFaultDelay * faults);
        }

        Assert.Single(_gateway.Logs.Named("BakongCircuitOpened"));

        // Bakong is healthy and has the money, but the open circuit refuses the call: still no change.
        await _gateway.ClearFaultsAsync();
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        await AssertFaultedCheckAsync(created.PaymentId, watch, FirstFaultDelay * 4);
        Assert.NotEmpty(_gateway.Logs.Named("BakongCallRejectedCircuitOpen"));

        var latest = watch.Seen[^1];
        for (var check = 0; check < 3 && latest.State == State.Pending; check++)
        {
            await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
            latest = await watch.NextAsync();
        }

        Assert.Equal(State.Paid, latest.State);
        Assert.Single(_gateway.Logs.Named("BakongCircuitClosed"));
    }

    /// <summary>A payment after its first check, paid in the sandbox, with <paramref name="faults"/> in force from now on.</summary>
    private async Task<(Bakong.Payments.V1.Payment Created, Support.PaymentWatch Watch)> PaidButFaultingAsync(string requestId, object? faults)
    {
        var (created, watch) = await _gateway.CreateCheckedAsync(Requests.Create(requestId));
        await _gateway.PayAsync(created.Khqr);
        if (faults is not null)
        {
            await _gateway.SetFaultsAsync(faults);
        }

        return (created, watch);
    }

    /// <summary>The check just made is shown as bookkeeping only, and the next one waits <paramref name="retryDelay"/>.</summary>
    private async Task AssertFaultedCheckAsync(string paymentId, Support.PaymentWatch watch, TimeSpan retryDelay)
    {
        var shown = await watch.NextAsync();
        Assert.Equal(State.Pending, shown.State);
        Assert.False(shown.NeedsReview);
        Assert.Null(shown.BakongTransaction);
        var stored = await Stored(paymentId);
        Assert.Equal(shown.Version, stored.Version);
        Assert.Equal([PaymentEventType.Created], stored.Events.Select(e => e.Type));
        Assert.Empty(stored.Outbox);
        Assert.Equal(stored.LastCheckTime + retryDelay, stored.NextCheckTime);
    }

    private async Task<Bakong.Payments.Payment> Stored(string paymentId) => (await _gateway.Store.GetAsync(paymentId, Ct))!;
}
