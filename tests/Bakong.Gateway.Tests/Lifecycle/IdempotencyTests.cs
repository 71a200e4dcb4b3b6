using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>CreatePayment's idempotency (Stripe semantics) under concurrent duplicates, through gRPC and the real store.</summary>
public sealed class IdempotencyTests : GatewayTest
{
    private const int Racers = 16;

    [Fact]
    public async Task Sixteen_concurrent_duplicates_all_get_the_one_payment_stored_once_with_one_created_event()
    {
        var client = Gateway.Payments;
        var calls = Enumerable.Range(0, Racers)
            .Select(_ => Task.Run(() => client.CreatePaymentAsync(Requests.Create("race-same"), cancellationToken: Ct).ResponseAsync, Ct))
            .ToArray();

        var payments = (await Task.WhenAll(calls).WaitAsync(GatewayFactory.Timeout, Ct)).Select(r => r.Payment).ToList();

        // The same payment as stored when each call read it (the poller may have checked it in between).
        var first = payments[0];
        Assert.All(payments, p => Assert.Equal(
            (first.PaymentId, first.Khqr, first.Md5, first.BillNumber, first.CreateTime),
            (p.PaymentId, p.Khqr, p.Md5, p.BillNumber, p.CreateTime)));
        var listed = await client.ListPaymentsAsync(new ListPaymentsRequest { PageSize = 100 }, cancellationToken: Ct);
        Assert.Equal(first.PaymentId, Assert.Single(listed.Payments).PaymentId);
        var stored = await Gateway.Store.GetByRequestIdAsync("race-same", Ct);
        Assert.Single(stored!.Events, e => e.Type == PaymentEventType.Created);
        Assert.Single(Gateway.Store.Writes, w => w.Kind == Support.StoreWriteKind.Inserted);
        Assert.Single(Gateway.Logs.Named("PaymentCreated"));
    }

    [Fact]
    public async Task Concurrent_duplicates_with_different_amounts_let_exactly_one_win_and_the_rest_are_already_exists_naming_amount()
    {
        var client = Gateway.Payments;
        var calls = Enumerable.Range(0, Racers)
            .Select(i => Task.Run(
                async () =>
                {
                    try
                    {
                        return (Payment: (await client.CreatePaymentAsync(Requests.Create("race-other", riel: 1000 + i), cancellationToken: Ct)).Payment, Error: (RpcException?)null);
                    }
                    catch (RpcException e)
                    {
                        return (Payment: (Payment?)null, Error: e);
                    }
                },
                Ct))
            .ToArray();

        var results = await Task.WhenAll(calls).WaitAsync(GatewayFactory.Timeout, Ct);

        var winner = Assert.Single(results, r => r.Payment is not null).Payment!;
        var losers = results.Where(r => r.Error is not null).Select(r => r.Error!).ToList();
        Assert.Equal(Racers - 1, losers.Count);
        Assert.All(losers, e =>
        {
            Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
            var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
            Assert.Equal("REQUEST_ID_CONFLICT", info.Reason);
            Assert.Equal(winner.PaymentId, info.Metadata["payment_id"]);
            Assert.Equal("amount", info.Metadata["conflicting_fields"]);
        });
        var listed = await client.ListPaymentsAsync(new ListPaymentsRequest { PageSize = 100 }, cancellationToken: Ct);
        Assert.Equal(winner.PaymentId, Assert.Single(listed.Payments).PaymentId);

        // The winner's own parameters still replay to it.
        var replay = await Gateway.CreateAsync(Requests.Create("race-other", riel: winner.Amount.Units));
        Assert.Equal((winner.PaymentId, winner.BillNumber), (replay.PaymentId, replay.BillNumber));
    }

    [Fact]
    public async Task Replaying_a_request_after_its_payment_was_paid_returns_the_paid_payment_and_no_new_qr()
    {
        var paid = await Gateway.CreatePaidAsync("paid-then-retried");

        var replay = await Gateway.CreateAsync(Requests.Create("paid-then-retried"));

        Assert.Equal(paid, replay);
        Assert.Equal(State.Paid, replay.State);
        Assert.Single(Gateway.Store.Writes, w => w.Kind == Support.StoreWriteKind.Inserted);
    }

    [Fact]
    public async Task Sixteen_concurrent_cancels_all_answer_cancelled_and_record_one_cancellation()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("cancel-race"));
        using var _ = watch;
        var client = Gateway.Payments;

        var calls = Enumerable.Range(0, Racers)
            .Select(_ => Task.Run(() => client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync, Ct))
            .ToArray();
        var answers = (await Task.WhenAll(calls).WaitAsync(GatewayFactory.Timeout, Ct)).Select(r => r.Payment).ToList();

        Assert.All(answers, p => Assert.Equal((State.Cancelled, answers[0].Version, answers[0].SettleTime), (p.State, p.Version, p.SettleTime)));
        Assert.Equal(answers[0], await watch.SettledAsync());
        var stored = await Gateway.Store.GetAsync(created.PaymentId, Ct);
        Assert.Single(stored!.Events, e => e.Type == PaymentEventType.Cancelled);
        Assert.Equal("payment.cancelled", Assert.Single(stored.Outbox).Type);
    }

    [Fact]
    public async Task Retrying_an_order_with_a_new_request_id_makes_a_new_payment_with_a_new_bill_number_and_qr()
    {
        var first = await Gateway.CreateAsync(Requests.Create("order-7-try-1"));
        var retry = Requests.Create("order-7-try-2");
        retry.OrderRef = first.OrderRef;

        var second = await Gateway.CreateAsync(retry);

        Assert.NotEqual(first.PaymentId, second.PaymentId);
        Assert.NotEqual(first.BillNumber, second.BillNumber);
        Assert.NotEqual(first.Khqr, second.Khqr);
        Assert.NotEqual(first.Md5, second.Md5);
        Assert.Equal(first.OrderRef, second.OrderRef);
        Assert.Contains(first.BillNumber, first.Khqr, StringComparison.Ordinal);
        Assert.Contains(second.BillNumber, second.Khqr, StringComparison.Ordinal);
        var listed = await Gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { States = { State.Pending } }, cancellationToken: Ct);
        Assert.Equal(2, listed.Payments.Count);
    }
}
