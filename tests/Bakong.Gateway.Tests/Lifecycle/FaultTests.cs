using Bakong.OpenApi.Tokens;
using Bakong.Grpc.Payments.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// Bakong faults injected in the in-process sandbox while the real poller and client check a payment the customer has
/// already paid: no fault may change its state or record an event; once the fault clears, it settles as PAID.
/// </summary>
public sealed class FaultTests : GatewayTest
{
    private static readonly TimeSpan s_firstFaultDelay = TimeSpan.FromSeconds(5);

    public FaultTests()
    {
        // Retries still happen, but at once: a retry delay on the fake clock would wait for the test to move it.
        Gateway.Settings["Bakong:OpenApi:RetryBaseDelay"] = "00:00:00";
    }

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

        await TwoFaultedChecksAsync(created.PaymentId);

        Assert.NotEmpty(Gateway.Logs.Named("PollerCheckFault"));
        await SettlesOnceClearedAsync(created, watch);
    }

    [Fact]
    public async Task A_payment_whose_qr_expires_while_bakong_is_down_stays_pending_and_is_paid_not_expired_when_bakong_answers()
    {
        var (created, watch) = await PaidButFaultingAsync("down-over-expiry", new { serverErrorRate = 1.0 });
        using var _ = watch;
        var expiry = created.ExpireTime.ToDateTimeOffset();

        // Long past the expiry and its grace, Bakong still gives no answer: the payment cannot be called expired.
        // The retry waits the longer of the fault delay (5 s) and the schedule's interval at this age (10 s).
        Gateway.AdvanceAndPollTo(expiry.AddMinutes(1));
        AssertFaultedCheck(await Gateway.CheckedAsync(created.PaymentId, checks: 2), TimeSpan.FromSeconds(10));

        await SettlesOnceClearedAsync(created, watch);
    }

    [Fact]
    public async Task A_cancel_that_lands_while_a_check_is_finding_the_money_stands_and_the_money_becomes_paid_late()
    {
        var (created, watch) = await PaidButFaultingAsync("cancel-vs-check", new { latencyMs = 1000 });
        using var _ = watch;

        // The poller has read the payment and asked Bakong; Bakong's answer (paid) is held for a second.
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await Gateway.Sandbox.WaitForHeldRequestsAsync(1, Ct).WaitAsync(GatewayFactory.Timeout, Ct);
        var cancelled = (await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        Assert.Equal(State.Cancelled, cancelled.State);
        Gateway.Clock.Advance(TimeSpan.FromSeconds(1));

        // The poller's save conflicts with the cancel; it re-reads and applies the answer to the cancelled payment.
        var late = await Gateway.Store.SavedAsync(created.PaymentId, p => p.State != PaymentState.Cancelled && p.Version > cancelled.Version);
        Assert.Equal(PaymentState.PaidLate, late.State);
        Assert.Equal(cancelled, await watch.SettledAsync());
        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Cancelled, PaymentEventType.PaidLate], stored.Events.Select(e => e.Type));
        Assert.Equal(State.PaidLate, (await Gateway.GetAsync(created.PaymentId)).State);
    }

    [Fact]
    public async Task A_check_bakong_never_answers_times_out_on_the_clock_and_leaves_the_payment_pending_until_bakong_answers_again()
    {
        Gateway.Settings["Bakong:OpenApi:RetryCount"] = "0";
        var (created, watch) = await PaidButFaultingAsync("no-answer", new { timeoutRate = 1.0 });
        using var _ = watch;

        await Gateway.AdvanceToNextCheckAsync(created.PaymentId);
        await Gateway.Sandbox.WaitForHeldRequestsAsync(1, Ct).WaitAsync(GatewayFactory.Timeout, Ct);
        Gateway.Clock.Advance(TimeSpan.FromSeconds(4)); // Bakong:OpenApi:AttemptTimeout
        AssertFaultedCheck(await Gateway.CheckedAsync(created.PaymentId, checks: 2), s_firstFaultDelay);
        Assert.NotEmpty(Gateway.Logs.Named("BakongAttemptTimedOut"));

        await SettlesOnceClearedAsync(created, watch);
    }

    [Fact]
    public async Task A_rejected_token_that_cannot_be_renewed_leaves_the_payment_pending_until_an_operator_sets_a_new_one()
    {
        // The renewal e-mail is one the sandbox never registered, so renew_token fails and the 401 stays.
        Gateway.Settings["Bakong:Tokens:Email"] = "nobody@shop.kh";
        var (created, watch) = await PaidButFaultingAsync("unauthorized", faults: null);
        using var _ = watch;
        await Gateway.ControlAsync(HttpMethod.Post, "tokens/expire");

        await TwoFaultedChecksAsync(created.PaymentId);

        Assert.NotEmpty(Gateway.Logs.Named("BakongTokenNotRenewed"));
        Gateway.Services.GetRequiredService<BakongTokenManager>().Set(Gateway.Sandbox.IssueToken().Token);
        await SettlesOnceClearedAsync(created, watch);
    }

    [Fact]
    public async Task An_expired_token_is_renewed_once_and_the_same_check_settles_the_payment()
    {
        var (created, watch) = await PaidButFaultingAsync("renew-me", faults: null);
        using var _ = watch;
        await Gateway.ControlAsync(HttpMethod.Post, "tokens/expire");

        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.NextAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.Single(Gateway.Logs.Named("BakongTokenRejected"));
        Assert.Single(Gateway.Logs.Named("TokenRenewed"));
    }

    [Fact]
    public async Task With_the_md5_list_endpoint_refused_the_payment_settles_through_single_md5_checks()
    {
        var (created, watch) = await PaidButFaultingAsync("list-refused", new { md5ListForbidden = true });
        using var _ = watch;

        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(State.Paid, (await watch.NextAsync()).State);
        Assert.Single(Gateway.Logs.Named("BakongMd5ListRefused"));
    }

    [Fact]
    public async Task While_the_circuit_is_open_a_healthy_bakong_is_not_asked_and_the_payment_stays_pending_then_settles_when_it_closes()
    {
        Gateway.Settings["Bakong:OpenApi:RetryCount"] = "0";
        Gateway.Settings["Bakong:OpenApi:CircuitBreakerMinimumThroughput"] = "2";
        Gateway.Settings["Bakong:OpenApi:CircuitBreakerSamplingDuration"] = "00:01:00";
        Gateway.Settings["Bakong:OpenApi:CircuitBreakerBreakDuration"] = "00:01:00";
        var (created, watch) = await PaidButFaultingAsync("circuit", new { serverErrorRate = 1.0 });
        using var _ = watch;
        await TwoFaultedChecksAsync(created.PaymentId);

        Assert.Single(Gateway.Logs.Named("BakongCircuitOpened"));

        // Bakong is healthy and has the money, but the open circuit refuses the call: still no change.
        await Gateway.ClearFaultsAsync();
        AssertFaultedCheck(await Gateway.CheckNextAsync(created.PaymentId), s_firstFaultDelay * 4);
        Assert.NotEmpty(Gateway.Logs.Named("BakongCallRejectedCircuitOpen"));

        var latest = PaymentState.Pending;
        for (var check = 0; check < 3 && latest == PaymentState.Pending; check++)
        {
            latest = (await Gateway.CheckNextAsync(created.PaymentId)).State;
        }

        Assert.Equal(PaymentState.Paid, latest);
        Assert.Equal(State.Paid, (await watch.NextAsync()).State);
        Assert.Single(Gateway.Logs.Named("BakongCircuitClosed"));
    }

    /// <summary>A payment after its first check, paid in the sandbox, with <paramref name="faults"/> in force from now on.</summary>
    private async Task<(Payment Created, Support.PaymentWatch Watch)> PaidButFaultingAsync(string requestId, object? faults)
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create(requestId));
        await Gateway.PayAsync(created.Khqr);
        if (faults is not null)
        {
            await Gateway.SetFaultsAsync(faults);
        }

        return (created, watch);
    }

    /// <summary>With the sandbox's faults cleared, the next check finds the transfer: PAID, its one event, the watch ends.</summary>
    private async Task SettlesOnceClearedAsync(Payment created, Support.PaymentWatch watch)
    {
        await Gateway.ClearFaultsAsync();
        await Gateway.AdvanceToNextCheckAsync(created.PaymentId);
        var paid = await watch.SettledAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.Equal(created.Amount, paid.BakongTransaction.Amount);
        await watch.EndsAsync();
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Paid], (await StoredAsync(created.PaymentId)).Events.Select(e => e.Type));
    }

    /// <summary>The next two checks fault: each is bookkeeping only (no watch message), and the poller backs off (5 s, then 10 s).</summary>
    private async Task TwoFaultedChecksAsync(string paymentId)
    {
        for (var faults = 1; faults <= 2; faults++)
        {
            AssertFaultedCheck(await Gateway.CheckNextAsync(paymentId), s_firstFaultDelay * faults);
        }
    }

    /// <summary>
    /// The check just saved is bookkeeping only (no state, review, transaction, event or outbox entry: nothing a watch
    /// shows), and the next one waits <paramref name="retryDelay"/>.
    /// </summary>
    private static void AssertFaultedCheck(Bakong.Payments.PaymentSnapshot saved, TimeSpan retryDelay)
    {
        Assert.Equal(PaymentState.Pending, saved.State);
        Assert.Null(saved.Review);
        Assert.Null(saved.Transaction);
        Assert.Equal([PaymentEventType.Created], saved.Events.Select(e => e.Type));
        Assert.Empty(saved.Outbox);
        Assert.Equal(saved.LastCheckTime + retryDelay, saved.NextCheckTime);
    }
}
