using Bakong.Grpc.Payments.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using static Grpc.Health.V1.Health;

namespace Bakong.Gateway.Tests;

public sealed class PaymentServiceTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PaymentService.PaymentServiceClient Client => _gateway.Payments;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_created_payment_is_pending_with_its_khqr_and_get_returns_it()
    {
        var created = (await Client.CreatePaymentAsync(Requests.Create("order-1-try-1", riel: 5000), cancellationToken: Ct)).Payment;

        Assert.Equal(State.Pending, created.State);
        Assert.Equal(1, created.Version);
        Assert.Equal(("KHR", 5000L, 0), (created.Amount.CurrencyCode, created.Amount.Units, created.Amount.Nanos));
        Assert.StartsWith("000201", created.Khqr, StringComparison.Ordinal);
        Assert.Equal(32, created.Md5.Length);
        Assert.Equal(GatewayFactory.Start, created.CreateTime.ToDateTimeOffset());
        Assert.Equal(GatewayFactory.Start.AddMinutes(5), created.ExpireTime.ToDateTimeOffset());
        Assert.Equal("order-order-1-try-1", created.OrderRef);

        var got = (await Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        Assert.Equal(created.PaymentId, got.PaymentId);
        Assert.Equal(created.Khqr, got.Khqr);
    }

    [Fact]
    public async Task A_usd_amount_in_cents_round_trips_as_units_and_nanos()
    {
        var request = Requests.Create("usd-1");
        request.Amount = new Money { CurrencyCode = "usd", Units = 1, Nanos = 250_000_000 };

        var created = (await Client.CreatePaymentAsync(request, cancellationToken: Ct)).Payment;

        Assert.Equal(("USD", 1L, 250_000_000), (created.Amount.CurrencyCode, created.Amount.Units, created.Amount.Nanos));
    }

    [Fact]
    public async Task The_same_request_id_with_the_same_parameters_returns_the_same_payment()
    {
        var first = (await Client.CreatePaymentAsync(Requests.Create("retry-me"), cancellationToken: Ct)).Payment;
        var again = (await Client.CreatePaymentAsync(Requests.Create("retry-me"), cancellationToken: Ct)).Payment;

        Assert.Equal(first.PaymentId, again.PaymentId);
        Assert.Equal(first.Khqr, again.Khqr);
        Assert.Equal(first.BillNumber, again.BillNumber);
    }

    [Fact]
    public async Task The_same_request_id_with_other_parameters_is_already_exists_naming_the_fields()
    {
        var first = (await Client.CreatePaymentAsync(Requests.Create("reused", riel: 5000), cancellationToken: Ct)).Payment;
        var other = Requests.Create("reused", riel: 6000);
        other.ExpiresIn = Duration.FromTimeSpan(TimeSpan.FromMinutes(2));

        var e = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePaymentAsync(other, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("bakong.payments.v1", "REQUEST_ID_CONFLICT"), (info.Domain, info.Reason));
        Assert.Equal(first.PaymentId, info.Metadata["payment_id"]);
        Assert.Equal("amount,expires_in", info.Metadata["conflicting_fields"]);
    }

    [Fact]
    public async Task Fractional_riel_is_invalid_argument_naming_amount_nanos()
    {
        var request = Requests.Create("half-riel");
        request.Amount = new Money { CurrencyCode = "KHR", Units = 100, Nanos = 500_000_000 };

        var e = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("amount.nanos", violation.Field);
    }

    [Fact]
    public async Task Every_bad_field_is_named_by_its_proto_path()
    {
        var request = new CreatePaymentRequest
        {
            RequestId = "has space",
            TerminalId = "",
            Amount = new Money { CurrencyCode = "EUR", Units = 1 },
        };

        var e = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var fields = e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["request_id", "terminal_id", "amount.currency_code"], fields);
    }

    [Fact]
    public async Task A_zero_amount_is_refused_by_the_domain_and_named_amount_units()
    {
        var e = await Assert.ThrowsAsync<RpcException>(
            () => Client.CreatePaymentAsync(Requests.Create("zero", riel: 0), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("amount.units", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task An_unknown_payment_is_not_found_with_its_id()
    {
        var e = await Assert.ThrowsAsync<RpcException>(
            () => Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = "nope" }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("PAYMENT_NOT_FOUND", "nope"), (info.Reason, info.Metadata["payment_id"]));

        using var watch = Client.WatchPayment(new WatchPaymentRequest { PaymentId = "nope" }, cancellationToken: Ct);
        var watchError = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(Ct));
        Assert.Equal(StatusCode.NotFound, watchError.StatusCode);
    }

    [Fact]
    public async Task Watch_shows_the_snapshot_then_paid_after_the_customer_pays_in_the_sandbox()
    {
        var created = (await Client.CreatePaymentAsync(Requests.Create("watch-me"), cancellationToken: Ct)).Payment;
        using var watch = Client.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);

        var snapshot = await GatewayFactory.NextAsync(watch);
        Assert.Equal((created.PaymentId, State.Pending), (snapshot.PaymentId, snapshot.State));

        // The poller's first check finds nothing: bookkeeping, not a message.
        await _gateway.CheckedAsync(created.PaymentId, checks: 1);
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var latest = await GatewayFactory.NextAsync(watch);

        Assert.Equal(State.Paid, latest.State);
        Assert.Equal(created.Amount, latest.BakongTransaction.Amount);
        Assert.NotNull(latest.SettleTime);
        Assert.True(snapshot.Version < latest.Version);
        Assert.False(await watch.ResponseStream.MoveNext(Ct).WaitAsync(GatewayFactory.Timeout, Ct), "the stream completes after PAID");
        Assert.Equal(StatusCode.OK, watch.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Watch_from_the_current_version_of_a_settled_payment_ends_at_once_without_a_message()
    {
        var cancelled = (await Client.CancelPaymentAsync(
            new CancelPaymentRequest { PaymentId = (await Client.CreatePaymentAsync(Requests.Create("done"), cancellationToken: Ct)).Payment.PaymentId },
            cancellationToken: Ct)).Payment;

        using var watch = Client.WatchPayment(
            new WatchPaymentRequest { PaymentId = cancelled.PaymentId, AfterVersion = cancelled.Version }, cancellationToken: Ct);

        Assert.False(await watch.ResponseStream.MoveNext(Ct).WaitAsync(GatewayFactory.Timeout, Ct));
    }

    [Fact]
    public async Task Watch_after_a_version_the_payment_does_not_have_is_invalid_argument()
    {
        var created = (await Client.CreatePaymentAsync(Requests.Create("future"), cancellationToken: Ct)).Payment;
        using var watch = Client.WatchPayment(
            new WatchPaymentRequest { PaymentId = created.PaymentId, AfterVersion = 99 }, cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("after_version", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task Cancelling_a_pending_payment_cancels_it_wakes_its_watchers_and_a_second_cancel_changes_nothing()
    {
        var created = (await Client.CreatePaymentAsync(Requests.Create("walk-away"), cancellationToken: Ct)).Payment;
        using var watch = Client.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        Assert.Equal(State.Pending, (await GatewayFactory.NextAsync(watch)).State);

        var cancelled = (await Client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        var again = (await Client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;

        Assert.Equal(State.Cancelled, cancelled.State);
        Assert.Equal((State.Cancelled, cancelled.Version), (again.State, again.Version));
        var watched = await GatewayFactory.NextAsync(watch);
        while (watched.State == State.Pending)
        {
            watched = await GatewayFactory.NextAsync(watch);
        }

        Assert.Equal(State.Cancelled, watched.State);
    }

    [Fact]
    public async Task Cancelling_a_paid_payment_is_failed_precondition_with_its_state()
    {
        var paid = await _gateway.CreatePaidAsync("paid-then-cancel");
        Assert.Equal(State.Paid, paid.State);

        var e = await Assert.ThrowsAsync<RpcException>(
            () => Client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = paid.PaymentId }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("PAYMENT_NOT_PENDING", "STATE_PAID"), (info.Reason, info.Metadata["state"]));
        Assert.Equal(State.Paid, (await Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = paid.PaymentId }, cancellationToken: Ct)).Payment.State);
    }

    [Fact]
    public async Task List_pages_newest_first_without_repeats_and_filters_by_terminal_and_state()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Client.CreatePaymentAsync(Requests.Create("list-" + i, terminal: "till-9"), cancellationToken: Ct)).Payment.PaymentId);
            _gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        await Client.CreatePaymentAsync(Requests.Create("elsewhere", terminal: "till-2"), cancellationToken: Ct);
        await Client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = ids[1] }, cancellationToken: Ct);

        var seen = new List<string>();
        var request = new ListPaymentsRequest { PageSize = 2, TerminalId = "till-9" };
        var pages = 0;
        do
        {
            var page = await Client.ListPaymentsAsync(request, cancellationToken: Ct);
            Assert.True(page.Payments.Count <= 2);
            seen.AddRange(page.Payments.Select(p => p.PaymentId));
            request.PageToken = page.NextPageToken;
            pages++;
        }
        while (request.PageToken.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(ids), seen);

        var cancelledOnly = await Client.ListPaymentsAsync(
            new ListPaymentsRequest { TerminalId = "till-9", States = { State.Cancelled } }, cancellationToken: Ct);
        Assert.Equal(ids[1], Assert.Single(cancelledOnly.Payments).PaymentId);

        var either = await Client.ListPaymentsAsync(
            new ListPaymentsRequest { States = { State.Cancelled, State.Pending } }, cancellationToken: Ct);
        Assert.Equal(6, either.Payments.Count);
    }

    [Fact]
    public async Task A_page_token_used_with_other_filters_is_invalid_argument()
    {
        for (var i = 0; i < 3; i++)
        {
            await Client.CreatePaymentAsync(Requests.Create("tok-" + i), cancellationToken: Ct);
        }

        var first = await Client.ListPaymentsAsync(new ListPaymentsRequest { PageSize = 1 }, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.ListPaymentsAsync(
            new ListPaymentsRequest { PageSize = 1, PageToken = first.NextPageToken, TerminalId = "till-1" }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("page_token", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);

        var unspecified = await Assert.ThrowsAsync<RpcException>(() => Client.ListPaymentsAsync(
            new ListPaymentsRequest { States = { State.Unspecified } }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal("states", Assert.Single(unspecified.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task Health_is_serving_for_the_server_and_the_payment_service()
    {
        var health = new HealthClient(_gateway.Channel);

        var overall = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        var payments = await health.CheckAsync(new HealthCheckRequest { Service = "bakong.payments.v1.PaymentService" }, cancellationToken: Ct);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overall.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, payments.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_payment_and_health_services()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_gateway.Channel);
        using var call = reflection.ServerReflectionInfo(cancellationToken: Ct);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, Ct);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(Ct).WaitAsync(GatewayFactory.Timeout, Ct));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("bakong.payments.v1.PaymentService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
