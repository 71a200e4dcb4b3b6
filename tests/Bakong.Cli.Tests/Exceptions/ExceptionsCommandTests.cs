extern alias testing;

using System.Text.Json;
using Bakong.Cli.Tests.Payments;
using Bakong.Sandbox;
using testing::Bakong.Gateway.Tests;
using V1 = testing::Bakong.Grpc.Payments.V1;

namespace Bakong.Cli.Tests.Exceptions;

/// <summary><c>bakong exceptions</c> and <c>bakong resolve</c> through the admin API of a running gateway.</summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class ExceptionsCommandTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task The_queue_is_listed_a_refund_resolves_a_paid_late_payment_once_and_bad_input_is_one_line()
    {
        var late = await PaidLateAsync("cli-late");
        var received = late.BakongTransaction;
        var refund = _gateway.Host.Sandbox.Transfer(new SandboxTransferRequest
        {
            FromAccountId = received.ToAccountId, ToAccountId = received.FromAccountId, Amount = 5000m, Currency = "KHR",
        }).Transaction.Hash;

        var text = await _gateway.RunAsync("exceptions");
        var json = await _gateway.RunAsync("exceptions", "--json");
        var neither = await _gateway.RunAsync("resolve", late.PaymentId);
        var badHash = await _gateway.RunAsync("resolve", late.PaymentId, "--refunded", "xyz");
        var resolved = await _gateway.RunAsync("resolve", late.PaymentId, "--refunded", refund, "--note", "sent back");
        var twice = await _gateway.RunAsync("resolve", late.PaymentId, "--accept");
        var empty = await _gateway.RunAsync("exceptions");

        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("PAYMENT ", text.Output, StringComparison.Ordinal);
        Assert.Contains(late.PaymentId, text.Output, StringComparison.Ordinal);
        Assert.Contains("paid late: paid after the POS gave up", text.Output, StringComparison.Ordinal);
        Assert.Equal("EXCEPTION_KIND_PAID_LATE", JsonDocument.Parse(json.Output).RootElement.GetProperty("kind").GetString());
        Assert.Equal(2, neither.ExitCode);
        Assert.Equal(2, badHash.ExitCode);
        Assert.StartsWith("INVALID_ARGUMENT: refunded.transaction_hash: ", Assert.Single(badHash.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, resolved.ExitCode);
        Assert.StartsWith(late.PaymentId + " refunded (" + refund + ", 5000 KHR to " + received.FromAccountId + ") by -", resolved.Output, StringComparison.Ordinal);
        Assert.Equal(1, twice.ExitCode);
        Assert.StartsWith("FAILED_PRECONDITION: Payment '" + late.PaymentId + "' is resolved already (refunded by -)", Assert.Single(twice.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("No payment needs a person.", empty.Output.Trim());
    }

    /// <summary>Cancelled by the POS, then paid all the same: found by the first reconciliation, 5 minutes on.</summary>
    private async Task<V1.Payment> PaidLateAsync(string requestId)
    {
        var host = _gateway.Host;
        var created = await host.CreateAsync(Requests.Create(requestId));
        await host.WaitForFirstCheckAsync(created.PaymentId);
        var cancelled = (await host.Payments.CancelPaymentAsync(new V1.CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: TestContext.Current.CancellationToken)).Payment;
        await host.PayAsync(new SandboxPayRequest { Qr = created.Khqr, Force = true });
        host.AdvanceAndPollTo(cancelled.SettleTime.ToDateTimeOffset().AddMinutes(5));
        await host.Store.SavedAsync(created.PaymentId, p => p.State == Bakong.Payments.PaymentState.PaidLate);
        return await host.GetAsync(created.PaymentId);
    }
}
