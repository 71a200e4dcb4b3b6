using System.Threading.Channels;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Creation;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Polling;

/// <summary>
/// The poller with the real Bakong client over loopback HTTP against the simulated Bakong, wired as the gateway wires
/// them (payments, client, tokens, audit, poller in one host), sharing one fake clock.
/// </summary>
public sealed class SandboxPollingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payment_paid_in_the_sandbox_is_paid_after_the_poller_checks_it_with_the_real_client()
    {
        // Counts the poller's tick waits (1 s; no other part of the host sets a 1-s timer).
        var clock = new TimerCountingTimeProvider(TestPayments.Start, TimeSpan.FromSeconds(1));
        await using var sandbox = await TestSandbox.StartAsync(clock);
        using var dir = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Path"] = dir.File("bakong.db"),
            ["Merchant:BakongAccountId"] = TestPayments.Account,
            ["Merchant:Name"] = "Corner Shop",
            ["Merchant:DefaultCurrency"] = "USD",
        }).Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddBakongOpenApiClient(o =>
        {
            o.Environment = BakongEnvironment.Sandbox;
            o.BaseUrl = sandbox.BaseUrl;
            o.RetryBaseDelay = TimeSpan.Zero;
        });
        builder.Services.AddBakongTokens(o =>
        {
            o.Environment = BakongEnvironment.Sandbox;
            o.DatabasePath = dir.File("tokens.db");
        });
        builder.Services.AddBakongCallAudit(o => o.DatabasePath = dir.File("audit.db"));
        builder.Services.AddBakongPayments(configuration);
        builder.Services.AddPaymentPoller(configuration);
        using var host = builder.Build();

        var token = sandbox.State.IssueToken("ops@shop.kh");
        Assert.True(host.Services.GetRequiredService<TokenOnboarding>().Set(token.Token, "ops@shop.kh").Succeeded);
        var passes = Channel.CreateUnbounded<PollPass>();
        host.Services.GetRequiredService<PaymentPoller>().PassCompleted = p => passes.Writer.TryWrite(p);
        await host.StartAsync(Ct);
        try
        {
            Assert.Equal(0, (await passes.Reader.ReadAsync(Ct).AsTask().WaitAsync(PollerHarness.SignalTimeout, Ct)).Due);

            var created = await host.Services.GetRequiredService<PaymentCreation>().CreateAsync(
                new CreatePaymentRequest { RequestId = "order-1-try-1", TerminalId = "till-1", Amount = 2.25m }, Ct);
            var payment = Assert.IsType<CreatePaymentResult.Created>(created).Payment;

            // The creation does not wake the poller: its next tick, a second later, makes the first check (nothing paid yet).
            await clock.WaitForTimersAsync(1);
            clock.Advance(TimeSpan.FromSeconds(1));
            var first = await passes.Reader.ReadAsync(Ct).AsTask().WaitAsync(PollerHarness.SignalTimeout, Ct);
            Assert.Equal((payment.CreateTime + TimeSpan.FromSeconds(1), 1, 1, 0), (first.Now, first.Due, first.Calls, first.Faults));
            sandbox.State.Pay(new SandboxPayRequest { Qr = payment.Qr });
            clock.Advance(TimeSpan.FromSeconds(2));
            host.Services.GetRequiredService<IPollerSignal>().Notify();

            var pass = await passes.Reader.ReadAsync(Ct).AsTask().WaitAsync(PollerHarness.SignalTimeout, Ct);

            Assert.Equal((1, 1, 0), (pass.Due, pass.Calls, pass.Faults));
            var stored = await host.Services.GetRequiredService<IPaymentStore>().GetAsync(payment.Id, Ct);
            Assert.Equal(PaymentState.Paid, stored!.State);
            Assert.Equal((2.25m, "USD", TestPayments.Account), (stored.Transaction!.Amount, stored.Transaction.Currency, stored.Transaction.ToAccountId));
            Assert.Equal("payment.paid", Assert.Single(stored.Outbox).Type);
        }
        finally
        {
            await host.StopAsync(Ct);
        }
    }
}
