using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Bakong.Gateway.Tests.Access;
using Bakong.Gateway.Tests.Support;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Audit;
using Bakong.Sandbox;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Exceptions;

/// <summary>
/// The exception queue end to end in Sandbox mode: payments that need a person (a wrong amount, money after the POS
/// gave up) in <c>ListExceptions</c>, and <c>ResolvePayment</c> accepting them or recording a refund the sandbox's
/// Bakong confirms by hash; each resolution on the payment, in its events, its webhook and the API audit, once.
/// </summary>
public sealed class ExceptionQueueTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();
    private string _key = "";

    public ExceptionQueueTests()
    {
        _gateway.EnableWebhooks();
        _gateway.Settings["Webhooks:Timeout"] = "00:05:00";
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AdminService.AdminServiceClient Admin => new(_gateway.As("Bearer " + _key));

    private string OperatorId => _key.Split('_')[1];

    public ValueTask InitializeAsync()
    {
        _key = _gateway.AddClient(IdentityRole.Operator);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_payment_paid_with_a_wrong_amount_is_queued_until_accepted_then_leaves_with_an_event_a_webhook_and_an_audit_line()
    {
        var reviewed = await ReviewedAsync("wrong-amount");

        var queued = await Admin.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct);
        var resolved = (await Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = reviewed.PaymentId, Accept = new AcceptResolution(), Note = "customer kept the change" }, cancellationToken: Ct)).Payment;
        var after = await Admin.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct);

        var exception = Assert.Single(queued.Exceptions);
        Assert.Equal((reviewed.PaymentId, ExceptionKind.NeedsReview, "amount 4000 KHR, expected 5000 KHR"), (exception.Payment.PaymentId, exception.Kind, exception.Reason));
        Assert.Empty(after.Exceptions);
        Assert.Equal(reviewed.Version + 1, resolved.Version);
        Assert.Equal(Payment.Types.State.Cancelled, resolved.State);
        Assert.True(resolved.NeedsReview);
        Assert.Equal((PaymentResolution.Types.Kind.Accepted, OperatorId, "customer kept the change", null), (resolved.Resolution.Kind, resolved.Resolution.ResolvedBy, resolved.Resolution.Note, resolved.Resolution.Refund));

        // The event: a watch from the version before sees the resolution.
        using var watch = _gateway.PaymentsAs(_key).WatchPayment(new WatchPaymentRequest { PaymentId = reviewed.PaymentId, AfterVersion = reviewed.Version }, cancellationToken: Ct);
        var watched = await GatewayFactory.NextAsync(watch);
        Assert.Equal((resolved.Version, PaymentResolution.Types.Kind.Accepted), (watched.Version, watched.Resolution.Kind));

        // The webhook, through the same outbox.
        var hook = await NextWebhookAsync("payment.resolved");
        Assert.Equal((reviewed.PaymentId, resolved.Version, "cancelled"), (hook.PaymentId, hook.Version, hook.State));
        var resolution = hook.Data.GetProperty("resolution");
        Assert.Equal(("accepted", OperatorId, "customer kept the change"), (resolution.GetProperty("kind").GetString(), resolution.GetProperty("resolved_by").GetString(), resolution.GetProperty("note").GetString()));

        // The API audit.
        var line = Assert.Single(await AuditAsync(), r => r.Action == "ResolvePayment");
        Assert.Equal((OperatorId, reviewed.PaymentId + " accept", "OK"), (line.ClientId, line.Target, line.Outcome));
    }

    [Fact]
    public async Task A_paid_late_payment_refunded_by_a_sandbox_transfer_is_resolved_with_the_refund_bakong_confirms()
    {
        var late = await PaidLateAsync("late-refund");
        var queued = Assert.Single((await Admin.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct)).Exceptions);
        var received = late.BakongTransaction;
        var hash = await TransferAsync(received.ToAccountId, received.FromAccountId, 5000m, "KHR");

        var resolved = (await Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = late.PaymentId, Refunded = new RefundResolution { TransactionHash = hash.ToUpperInvariant() } }, cancellationToken: Ct)).Payment;

        Assert.Equal((ExceptionKind.PaidLate, late.PaymentId), (queued.Kind, queued.Payment.PaymentId));
        Assert.StartsWith("paid after the POS gave up", queued.Reason, StringComparison.Ordinal);
        Assert.Equal((PaymentResolution.Types.Kind.Refunded, hash, received.ToAccountId, received.FromAccountId), (resolved.Resolution.Kind, resolved.Resolution.Refund.Hash, resolved.Resolution.Refund.FromAccountId, resolved.Resolution.Refund.ToAccountId));
        Assert.Equal(Payment.Types.State.PaidLate, resolved.State);
        Assert.Empty((await Admin.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct)).Exceptions);
        var hook = await NextWebhookAsync("payment.resolved");
        Assert.Equal(hash, hook.Data.GetProperty("resolution").GetProperty("refund").GetProperty("hash").GetString());
        Assert.Single(await AuditAsync(), r => r.Action == "ResolvePayment" && r.Target == late.PaymentId + " refunded " + hash);
    }

    [Fact]
    public async Task A_refund_in_the_wrong_direction_amount_or_currency_is_refused_naming_what_differs_and_nothing_is_recorded()
    {
        var late = await PaidLateAsync("late-bad-refund");
        var (merchant, payer) = (late.BakongTransaction.ToAccountId, late.BakongTransaction.FromAccountId);

        var backwards = await RefuseAsync(late.PaymentId, await TransferAsync(payer, merchant, 5000m, "KHR"));
        var tooLittle = await RefuseAsync(late.PaymentId, await TransferAsync(merchant, payer, 4999m, "KHR"));
        var dollars = await RefuseAsync(late.PaymentId, await TransferAsync(merchant, payer, 5000m, "USD"));
        var unknown = await RefuseAsync(late.PaymentId, new string('a', 64));

        Assert.Equal(("REFUND_MISMATCH", "from_account_id,to_account_id"), (backwards.Info.Reason, backwards.Info.Metadata["mismatched_fields"]));
        Assert.Contains("from_account_id sent from " + payer + ", expected the merchant's account " + merchant, backwards.Error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(("REFUND_MISMATCH", "amount"), (tooLittle.Info.Reason, tooLittle.Info.Metadata["mismatched_fields"]));
        Assert.Contains("amount 4999 KHR, expected at least the 5000 KHR received", tooLittle.Error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(("REFUND_MISMATCH", "currency"), (dollars.Info.Reason, dollars.Info.Metadata["mismatched_fields"]));
        Assert.Equal(("REFUND_NOT_FOUND", new string('a', 64)), (unknown.Info.Reason, unknown.Info.Metadata["transaction_hash"]));
        Assert.All([backwards, tooLittle, dollars, unknown], r => Assert.Equal(StatusCode.FailedPrecondition, r.Error.StatusCode));
        var stored = await GetAsync(late.PaymentId);
        Assert.Equal((late.Version, null), (stored.Version, stored.Resolution));
        Assert.Single((await Admin.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct)).Exceptions);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d")]
    public async Task A_refund_hash_that_is_not_64_hex_digits_is_invalid_argument_naming_transaction_hash(string hash)
    {
        var late = await PaidLateAsync("late-bad-hash");

        var error = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = late.PaymentId, Refunded = new RefundResolution { TransactionHash = hash } }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("refunded.transaction_hash", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task A_second_resolution_is_refused_naming_the_first_and_a_payment_needing_no_person_cannot_be_resolved()
    {
        var late = await PaidLateAsync("late-twice");
        var paid = await PaidAsync("plain-paid");
        await Admin.ResolvePaymentAsync(new ResolvePaymentRequest { PaymentId = late.PaymentId, Accept = new AcceptResolution() }, cancellationToken: Ct);

        var twice = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = late.PaymentId, Accept = new AcceptResolution() }, cancellationToken: Ct).ResponseAsync);
        var notNeeded = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = paid.PaymentId, Accept = new AcceptResolution() }, cancellationToken: Ct).ResponseAsync);
        var neither = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = late.PaymentId }, cancellationToken: Ct).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = "no-such-payment", Accept = new AcceptResolution() }, cancellationToken: Ct).ResponseAsync);

        var info = twice.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal((StatusCode.FailedPrecondition, "ALREADY_RESOLVED", "accepted", OperatorId), (twice.StatusCode, info.Reason, info.Metadata["resolution"], info.Metadata["resolved_by"]));
        Assert.Equal((StatusCode.FailedPrecondition, "NOT_AN_EXCEPTION", "STATE_PAID"), (notNeeded.StatusCode, notNeeded.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason, notNeeded.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["state"]));
        Assert.Equal((StatusCode.InvalidArgument, "resolution"), (neither.StatusCode, Assert.Single(neither.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains(await AuditAsync(), r => r.Action == "ResolvePayment" && r.Outcome == "FAILED_PRECONDITION" && r.Target == late.PaymentId + " accept");
    }

    [Fact]
    public async Task Concurrent_resolutions_of_one_payment_record_exactly_one()
    {
        var late = await PaidLateAsync("late-race");

        var calls = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await Admin.ResolvePaymentAsync(new ResolvePaymentRequest { PaymentId = late.PaymentId, Accept = new AcceptResolution(), Note = "call " + i }, cancellationToken: Ct);
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        });
        var outcomes = await Task.WhenAll(calls);

        Assert.Equal(1, outcomes.Count(o => o == StatusCode.OK));
        Assert.All(outcomes.Where(o => o != StatusCode.OK), o => Assert.Equal(StatusCode.FailedPrecondition, o));
        var stored = (await _gateway.Store.GetAsync(late.PaymentId, Ct))!;
        Assert.Single(stored.Events, e => e.Type == Bakong.Payments.PaymentEventType.Resolved);
        Assert.Single(stored.Outbox, o => o.Type == "payment.resolved");
    }

    [Theory]
    [InlineData(IdentityRole.Terminal)]
    [InlineData(IdentityRole.Kiosk)]
    public async Task Terminal_and_kiosk_keys_are_refused_the_queue_and_the_resolution(IdentityRole role)
    {
        var late = await PaidLateAsync("late-denied");
        var key = _gateway.AddClient(role, "till-1");
        var asClient = new AdminService.AdminServiceClient(_gateway.As("Bearer " + key));

        var list = await Assert.ThrowsAsync<RpcException>(() => asClient.ListExceptionsAsync(new ListExceptionsRequest(), cancellationToken: Ct).ResponseAsync);
        var resolve = await Assert.ThrowsAsync<RpcException>(() => asClient.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = late.PaymentId, Accept = new AcceptResolution() }, cancellationToken: Ct).ResponseAsync);
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var rest = await http.PostAsJsonAsync("/v1/payments/" + late.PaymentId + ":resolve", new { accept = new { } }, Ct);

        Assert.Equal((StatusCode.PermissionDenied, StatusCode.PermissionDenied), (list.StatusCode, resolve.StatusCode));
        Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        Assert.Null((await GetAsync(late.PaymentId)).Resolution);
    }

    [Fact]
    public async Task The_rest_twins_list_the_queue_and_resolve_a_payment()
    {
        var late = await PaidLateAsync("late-rest");
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _key);

        using var list = await http.GetAsync("/v1/exceptions?page_size=10", Ct);
        var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct)).RootElement;
        using var resolve = await http.PostAsJsonAsync("/v1/payments/" + late.PaymentId + ":resolve", new { accept = new { }, note = "ok" }, Ct);
        var resolved = JsonDocument.Parse(await resolve.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(late.PaymentId, listed.GetProperty("exceptions")[0].GetProperty("payment").GetProperty("paymentId").GetString());
        Assert.Equal("EXCEPTION_KIND_PAID_LATE", listed.GetProperty("exceptions")[0].GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        Assert.Equal("KIND_ACCEPTED", resolved.GetProperty("payment").GetProperty("resolution").GetProperty("kind").GetString());
    }

    private async Task<Payment> CreateCheckedAsync(string requestId)
    {
        var created = (await _gateway.PaymentsAs(_key).CreatePaymentAsync(Requests.Create(requestId), cancellationToken: Ct)).Payment;
        await _gateway.CheckedAsync(created.PaymentId, checks: 1);
        return created;
    }

    /// <summary>Paid 4000 riel for a 5000 riel QR (flagged for review), then cancelled by the POS.</summary>
    private async Task<Payment> ReviewedAsync(string requestId)
    {
        var created = await CreateCheckedAsync(requestId);
        await _gateway.PayAsync(new SandboxPayRequest { Qr = created.Khqr, Amount = 4000 });
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await _gateway.Store.SavedAsync(created.PaymentId, p => p.Review is not null);
        return (await _gateway.PaymentsAs(_key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
    }

    /// <summary>Cancelled by the POS, then paid all the same: found by the first reconciliation, 5 minutes on.</summary>
    private async Task<Payment> PaidLateAsync(string requestId)
    {
        var created = await CreateCheckedAsync(requestId);
        var cancelled = (await _gateway.PaymentsAs(_key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        await _gateway.PayAsync(new SandboxPayRequest { Qr = created.Khqr, Force = true });
        _gateway.AdvanceAndPollTo(cancelled.SettleTime.ToDateTimeOffset().AddMinutes(5));
        await _gateway.Store.SavedAsync(created.PaymentId, p => p.State == Bakong.Payments.PaymentState.PaidLate);
        return await GetAsync(created.PaymentId);
    }

    private async Task<Payment> PaidAsync(string requestId)
    {
        var created = await CreateCheckedAsync(requestId);
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await _gateway.Store.SavedAsync(created.PaymentId, p => p.State == Bakong.Payments.PaymentState.Paid);
        return await GetAsync(created.PaymentId);
    }

    private async Task<Payment> GetAsync(string paymentId) =>
        (await _gateway.PaymentsAs(_key).GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, cancellationToken: Ct)).Payment;

    /// <summary>The merchant (or anyone) sends money without a QR through the sandbox's control API; returns its hash.</summary>
    private async Task<string> TransferAsync(string from, string to, decimal amount, string currency)
    {
        using var http = _gateway.CreateClient();
        using var response = await http.PostAsJsonAsync(
            "/sandbox/control/transfers", new SandboxTransferRequest { FromAccountId = from, ToAccountId = to, Amount = amount, Currency = currency }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("transaction").GetProperty("hash").GetString()!;
    }

    private async Task<(RpcException Error, ErrorInfo Info)> RefuseAsync(string paymentId, string hash)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Admin.ResolvePaymentAsync(
            new ResolvePaymentRequest { PaymentId = paymentId, Refunded = new RefundResolution { TransactionHash = hash } }, cancellationToken: Ct).ResponseAsync);
        return (error, error.GetRpcStatus()!.GetDetail<ErrorInfo>());
    }

    private async Task<ReceivedWebhook> NextWebhookAsync(string type)
    {
        while (true)
        {
            var hook = await _gateway.Webhooks.NextAsync();
            if (hook.Type == type)
            {
                return hook;
            }
        }
    }

    private async Task<IReadOnlyList<ApiCallRecord>> AuditAsync()
    {
        var audit = _gateway.Services.GetRequiredService<LiteDbCallAudit>();
        await audit.FlushAsync(Ct);
        return audit.QueryApi(DateTimeOffset.MinValue);
    }
}
