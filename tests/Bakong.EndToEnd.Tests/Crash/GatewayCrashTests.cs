using Bakong.EndToEnd.Tests.Processes;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.EndToEnd.Tests.Crash;

/// <summary>
/// The gateway as a real process, killed with SIGKILL while its poller is settling payments, and restarted on the same
/// data folder. Bakong (the sandbox) and the merchant's webhook endpoint run on, as they would in a shop.
/// </summary>
public sealed class GatewayCrashTests : IAsyncLifetime
{
    private const int Batches = 3;
    private const int PerBatch = 8;
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(60);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-crash-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_gateway_killed_while_polling_keeps_every_payment_settles_the_pending_ones_after_restart_and_never_reports_two_outcomes()
    {
        await using var sandbox = await SandboxProcess.StartAsync(Ct);
        await using var hooks = await WebhookReceiver.StartAsync(Ct);
        var settings = await OnboardAsync(sandbox, hooks);

        var gateway = await GatewayProcess.StartAsync(settings, Ct);
        var created = new List<Payment>();
        try
        {
            for (var i = 0; i < Batches * PerBatch; i++)
            {
                var request = new CreatePaymentRequest
                {
                    RequestId = "crash-" + i,
                    TerminalId = "till-" + (i % 3),
                    Amount = new Money { CurrencyCode = "KHR", Units = 1000 + (100 * i) },
                    OrderRef = "order-" + i,
                };
                created.Add((await gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct)).Payment);
            }

            // Each round: a batch of customers pays, Bakong acknowledging them 0.7 s apart, so the gateway settles them
            // over several polls; it is killed as soon as it has settled the first, with the rest of the money
            // arrived or arriving, and restarted on the same files.
            for (var batch = 0; batch < Batches; batch++)
            {
                var payers = created.Skip(batch * PerBatch).Take(PerBatch).ToList();
                for (var i = 0; i < payers.Count; i++)
                {
                    await sandbox.PayAsync(payers[i].Khqr, TimeSpan.FromMilliseconds(700 * i), Ct);
                }

                await WaitForStateAsync(gateway, payers[0].PaymentId, Payment.Types.State.Paid);
                await gateway.KillAsync(Ct);
                await gateway.DisposeAsync();

                gateway = await GatewayProcess.StartAsync(settings, Ct);
                var kept = await AssertEveryPaymentKeptAsync(gateway, created);
                TestContext.Current.TestOutputHelper?.WriteLine(
                    $"round {batch + 1}: after the kill {kept.Count(p => p.State == Payment.Types.State.Paid)} paid, "
                    + $"{payers.Count(p => kept.Single(k => k.PaymentId == p.PaymentId).State == Payment.Types.State.Pending)} of this round's payers still pending");

                // Everyone who paid so far is settled by the restarted gateway; nobody else is.
                foreach (var payment in created.Take((batch + 1) * PerBatch))
                {
                    await WaitForStateAsync(gateway, payment.PaymentId, Payment.Types.State.Paid);
                }

                foreach (var payment in created.Skip((batch + 1) * PerBatch))
                {
                    var stored = (await gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct)).Payment;
                    Assert.Equal(Payment.Types.State.Pending, stored.State);
                }
            }

            // Every outcome reached the back office (at least once), signed, and nothing was reported two ways.
            await hooks.WaitUntilAsync(
                d => created.All(p => d.Any(x => x.PaymentId == p.PaymentId && x.Type == "payment.paid")), s_settle, Ct);
            Assert.All(hooks.Deliveries, d => Assert.True(d.SignatureValid, "bad signature on " + d.EventId));
            Assert.All(hooks.Deliveries.GroupBy(d => d.EventId), sameEvent =>
                Assert.Single(sameEvent.Select(d => (d.Type, d.PaymentId, d.State, d.Version)).Distinct()));
            Assert.All(hooks.Deliveries.GroupBy(d => d.PaymentId), samePayment =>
                Assert.Equal(["payment.paid"], samePayment.Select(d => d.Type).Distinct()));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_data, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The operator's set-up (docs/operations.md): the token Bakong e-mailed, saved with <c>bakong token set</c>.</summary>
    private async Task<Dictionary<string, string>> OnboardAsync(SandboxProcess sandbox, WebhookReceiver hooks)
    {
        var token = await sandbox.IssueTokenAsync("shop@example.com", Ct);
        await using (var set = ChildProcess.Start(
            Built.Cli,
            ["token", "set", token, "--email", "shop@example.com", "--data", _data, "--environment", "sandbox", "--url", sandbox.Url.AbsoluteUri]))
        {
            Assert.True(await set.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, set.Output);
        }

        return new Dictionary<string, string>
        {
            ["Storage__Path"] = Path.Combine(_data, "bakong.db"),
            ["Bakong__Mode"] = "Sandbox",
            ["Bakong__BaseUrl"] = sandbox.Url.AbsoluteUri,
            ["Webhooks__Url"] = hooks.Url.AbsoluteUri,
            ["Webhooks__Secret"] = WebhookReceiver.Secret,
            ["Webhooks__BackoffBase"] = "00:00:01",

            // All 24 payments come from one caller in a burst: more than a till makes (Limits:CreatePaymentBurst).
            ["Limits__CreatePaymentBurst"] = (Batches * PerBatch).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static async Task<List<Payment>> AssertEveryPaymentKeptAsync(GatewayProcess gateway, List<Payment> created)
    {
        var kept = new List<Payment>();
        foreach (var payment in created)
        {
            var stored = (await gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct)).Payment;
            Assert.Equal(payment.Khqr, stored.Khqr);
            Assert.Equal(payment.Md5, stored.Md5);
            Assert.Equal(payment.BillNumber, stored.BillNumber);
            Assert.Equal(payment.Amount, stored.Amount);
            Assert.Contains(stored.State, new[] { Payment.Types.State.Pending, Payment.Types.State.Paid });
            kept.Add(stored);
        }

        return kept;
    }

    /// <summary>Watches the payment until it is in <paramref name="state"/>; fails if it settles otherwise or takes too long.</summary>
    private static async Task WaitForStateAsync(GatewayProcess gateway, string paymentId, Payment.Types.State state)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timer.CancelAfter(s_settle);
        using var watch = gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = paymentId }, cancellationToken: timer.Token);
        try
        {
            while (await watch.ResponseStream.MoveNext(timer.Token))
            {
                var payment = watch.ResponseStream.Current.Payment;
                if (payment.State == state)
                {
                    return;
                }

                Assert.True(payment.State == Payment.Types.State.Pending, $"{paymentId} settled as {payment.State}, not {state}");
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !Ct.IsCancellationRequested)
        {
            Assert.Fail($"{paymentId} was not {state} within {s_settle}. Gateway output:\n{gateway.Output}");
        }

        Assert.Fail($"The watch of {paymentId} ended before it was {state}.");
    }
}
