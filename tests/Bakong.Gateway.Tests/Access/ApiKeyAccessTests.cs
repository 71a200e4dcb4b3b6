using System.Net;
using System.Net.Http.Headers;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Grpc.Reflection.V1Alpha;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// Auth:Mode ApiKeys: who may call what. No, a wrong or a revoked key is UNAUTHENTICATED (REST 401) on every payment
/// method and every transport; a terminal sees and acts for its own terminals only; an operator for all; health is open.
/// </summary>
public sealed class ApiKeyAccessTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    public static TheoryData<string> RefusedAuthorizations => new()
    {
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-key",
        "Bearer bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };

    [Theory]
    [MemberData(nameof(RefusedAuthorizations))]
    public async Task Every_payment_method_is_unauthenticated_without_a_valid_key(string authorization)
    {
        var operatorKey = _gateway.AddClient(ClientRole.Operator);
        var payment = (await _gateway.PaymentsAs(operatorKey).CreatePaymentAsync(Requests.Create("existing"), cancellationToken: Ct)).Payment;
        var payments = new PaymentService.PaymentServiceClient(_gateway.As(authorization.Length == 0 ? null : authorization));

        var calls = new Func<Task>[]
        {
            () => payments.CreatePaymentAsync(Requests.Create("no-key"), cancellationToken: Ct).ResponseAsync,
            () => payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct).ResponseAsync,
            () => payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct).ResponseAsync,
            () => payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync,
            async () =>
            {
                using var watch = payments.WatchPayment(new WatchPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct);
                await watch.ResponseStream.MoveNext(Ct);
            },
        };

        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        Assert.Equal(State.Pending, (await _gateway.PaymentsAs(operatorKey).GetPaymentAsync(new GetPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct)).Payment.State);
    }

    [Fact]
    public async Task Health_stays_open_and_reflection_is_for_operators()
    {
        var terminalKey = _gateway.AddClient(ClientRole.Terminal, "till-1");
        var operatorKey = _gateway.AddClient(ClientRole.Operator);

        var health = await new global::Grpc.Health.V1.Health.HealthClient(_gateway.As(null)).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        var asTerminal = await _gateway.ListServicesAsync("Bearer " + terminalKey, Ct);
        var asNobody = await _gateway.ListServicesAsync(null, Ct);
        var asOperator = await _gateway.ListServicesAsync("Bearer " + operatorKey, Ct);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(StatusCode.PermissionDenied, asTerminal.Status);
        Assert.Equal(StatusCode.Unauthenticated, asNobody.Status);
        Assert.Equal(StatusCode.OK, asOperator.Status);
        Assert.Contains("bakong.payments.v1.PaymentService", asOperator.Services);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_its_next_call()
    {
        var added = _gateway.Clients().Add(new ClientRegistration(ClientRole.Terminal, ["till-1"], null));
        var payments = _gateway.PaymentsAs(added.Key);
        await payments.CreatePaymentAsync(Requests.Create("before"), cancellationToken: Ct);

        _gateway.Clients().Revoke(added.Client.Id);
        var e = await Assert.ThrowsAsync<RpcException>(() => payments.CreatePaymentAsync(Requests.Create("after"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task A_terminal_creates_only_for_its_terminals_and_sees_another_terminals_payment_as_not_found()
    {
        var mine = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Terminal, "till-1", "till-2"));
        var theirs = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Kiosk, "till-9"));
        var operatorPayments = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Operator));
        var own = (await mine.CreatePaymentAsync(Requests.Create("own", terminal: "till-2"), cancellationToken: Ct)).Payment;
        var other = (await theirs.CreatePaymentAsync(Requests.Create("other", terminal: "till-9"), cancellationToken: Ct)).Payment;

        var create = await Assert.ThrowsAsync<RpcException>(() => mine.CreatePaymentAsync(Requests.Create("not-mine", terminal: "till-9"), cancellationToken: Ct).ResponseAsync);
        var get = await Assert.ThrowsAsync<RpcException>(() => mine.GetPaymentAsync(new GetPaymentRequest { PaymentId = other.PaymentId }, cancellationToken: Ct).ResponseAsync);
        var cancel = await Assert.ThrowsAsync<RpcException>(() => mine.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = other.PaymentId }, cancellationToken: Ct).ResponseAsync);
        var watch = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = mine.WatchPayment(new WatchPaymentRequest { PaymentId = other.PaymentId }, cancellationToken: Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        var missing = await Assert.ThrowsAsync<RpcException>(() => mine.GetPaymentAsync(new GetPaymentRequest { PaymentId = "Pm-no-such-payment" }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, create.StatusCode);
        Assert.Contains("terminal_id", create.Status.Detail, StringComparison.Ordinal);
        Assert.All([get, cancel, watch], e => Assert.Equal(StatusCode.NotFound, e.StatusCode));

        // Not found says the same as for a payment that does not exist: nothing tells the two apart.
        Assert.Equal(missing.Status.Detail.Replace("Pm-no-such-payment", "ID", StringComparison.Ordinal), get.Status.Detail.Replace(other.PaymentId, "ID", StringComparison.Ordinal));
        Assert.Equal(State.Pending, (await operatorPayments.GetPaymentAsync(new GetPaymentRequest { PaymentId = other.PaymentId }, cancellationToken: Ct)).Payment.State);
        Assert.Equal(own.PaymentId, (await mine.GetPaymentAsync(new GetPaymentRequest { PaymentId = own.PaymentId }, cancellationToken: Ct)).Payment.PaymentId);
    }

    [Fact]
    public async Task A_request_id_another_terminal_used_is_already_exists_without_that_payments_id_or_fields()
    {
        var mine = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Terminal, "till-1"));
        var theirs = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Terminal, "till-9"));
        var operatorPayments = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Operator));
        var other = (await theirs.CreatePaymentAsync(Requests.Create("shared-id", riel: 7000, terminal: "till-9"), cancellationToken: Ct)).Payment;

        var taken = await Assert.ThrowsAsync<RpcException>(() => mine.CreatePaymentAsync(Requests.Create("shared-id", terminal: "till-1"), cancellationToken: Ct).ResponseAsync);
        var ownConflict = await Assert.ThrowsAsync<RpcException>(() => theirs.CreatePaymentAsync(Requests.Create("shared-id", riel: 8000, terminal: "till-9"), cancellationToken: Ct).ResponseAsync);
        var operatorConflict = await Assert.ThrowsAsync<RpcException>(() => operatorPayments.CreatePaymentAsync(Requests.Create("shared-id", terminal: "till-1"), cancellationToken: Ct).ResponseAsync);

        // Another terminal's: the same code and reason, nothing of that payment (its id, which of its fields differ).
        Assert.Equal(StatusCode.AlreadyExists, taken.StatusCode);
        var takenInfo = taken.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("REQUEST_ID_CONFLICT", takenInfo.Reason);
        Assert.Equal("request_id", takenInfo.Metadata["conflicting_fields"]);
        Assert.False(takenInfo.Metadata.ContainsKey("payment_id"));
        Assert.DoesNotContain(other.PaymentId, taken.Status.Detail + string.Join(",", taken.Trailers.Select(t => t.IsBinary ? Convert.ToBase64String(t.ValueBytes) : t.Value)), StringComparison.Ordinal);
        Assert.DoesNotContain(other.PaymentId, takenInfo.ToString(), StringComparison.Ordinal);

        // The payment's own terminal and an operator still hear which payment holds the id and what differs.
        Assert.Equal(other.PaymentId, ownConflict.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["payment_id"]);
        Assert.Equal("amount", ownConflict.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["conflicting_fields"]);
        Assert.Equal(other.PaymentId, operatorConflict.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["payment_id"]);
    }

    [Fact]
    public async Task List_shows_a_terminal_only_its_terminals_and_an_operator_all()
    {
        var single = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Terminal, "till-1"));
        var both = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Terminal, "till-1", "till-2"));
        var operatorPayments = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Operator));
        foreach (var (id, terminal) in new[] { ("a", "till-1"), ("b", "till-2"), ("c", "till-3") })
        {
            await operatorPayments.CreatePaymentAsync(Requests.Create(id, terminal: terminal), cancellationToken: Ct);
        }

        async Task<string[]> TerminalsAsync(PaymentService.PaymentServiceClient client, string terminal = "") =>
            [.. (await client.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = terminal }, cancellationToken: Ct)).Payments.Select(p => p.TerminalId).Order(StringComparer.Ordinal)];

        Assert.Equal(["till-1"], await TerminalsAsync(single));
        Assert.Equal(["till-1", "till-2"], await TerminalsAsync(both));
        Assert.Equal(["till-2"], await TerminalsAsync(both, "till-2"));
        Assert.Equal(["till-1", "till-2", "till-3"], await TerminalsAsync(operatorPayments));
        var e = await Assert.ThrowsAsync<RpcException>(() => TerminalsAsync(single, "till-3"));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    [Fact]
    public async Task Terminal_and_kiosk_keys_are_refused_every_display_method_and_an_operators_key_reaches_them()
    {
        var terminal = new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Terminal, "till-1")));
        var kiosk = new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Kiosk, "till-1")));
        var operatorKey = new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Operator)));
        var command = new Grpc.Display.V1.SendDisplayCommandRequest { TerminalId = "till-1", GetState = new() };

        foreach (var refused in new[] { terminal, kiosk })
        {
            var list = await Assert.ThrowsAsync<RpcException>(() => refused.ListDisplaysAsync(new(), cancellationToken: Ct).ResponseAsync);
            var send = await Assert.ThrowsAsync<RpcException>(() => refused.SendDisplayCommandAsync(command, cancellationToken: Ct).ResponseAsync);
            Assert.Equal((StatusCode.PermissionDenied, StatusCode.PermissionDenied), (list.StatusCode, send.StatusCode));
        }

        Assert.Empty((await operatorKey.ListDisplaysAsync(new(), cancellationToken: Ct)).Displays);
        var served = await Assert.ThrowsAsync<RpcException>(() => operatorKey.SendDisplayCommandAsync(command, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, served.StatusCode); // past the key check: this gateway has no display for till-1
    }

    [Fact]
    public async Task Rest_answers_401_without_a_key_and_serves_the_keys_terminal_with_one()
    {
        var key = _gateway.AddClient(ClientRole.Terminal, "till-1");
        using var http = _gateway.CreateClient();

        using var anonymous = await http.GetAsync(new Uri("/v1/payments", UriKind.Relative), Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/payments");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var keyed = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
    }

    [Fact]
    public async Task Grpc_web_is_unauthenticated_without_a_key_and_works_with_one()
    {
        var key = _gateway.AddClient(ClientRole.Kiosk, "till-1");
        using var channel = GrpcChannel.ForAddress(_gateway.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWebText, _gateway.Server.CreateHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        var payments = new PaymentService.PaymentServiceClient(channel);

        var e = await Assert.ThrowsAsync<RpcException>(() => payments.CreatePaymentAsync(Requests.Create("web"), cancellationToken: Ct).ResponseAsync);
        var created = await payments.CreatePaymentAsync(Requests.Create("web"), new Metadata { { "authorization", "Bearer " + key } }, cancellationToken: Ct);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("till-1", created.Payment.TerminalId);
    }

    [Fact]
    public async Task No_key_reaches_the_log_whether_it_is_accepted_or_refused()
    {
        var added = _gateway.Clients().Add(new ClientRegistration(ClientRole.Terminal, ["till-1"], null));
        await _gateway.PaymentsAs(added.Key).CreatePaymentAsync(Requests.Create("logged"), cancellationToken: Ct);
        var wrong = added.Key[..^4] + "AAAA";
        await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(wrong).CreatePaymentAsync(Requests.Create("x"), cancellationToken: Ct).ResponseAsync);
        _gateway.Clients().Revoke(added.Client.Id);
        await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(added.Key).CreatePaymentAsync(Requests.Create("y"), cancellationToken: Ct).ResponseAsync);

        var refusals = _gateway.Logs.Named("Unauthenticated");
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, log => Assert.Contains(added.Client.Id, log.Message, StringComparison.Ordinal));
        var secret = added.Key[(4 + ApiKey.ClientIdLength)..];
        Assert.All(_gateway.Logs.Entries, log => Assert.DoesNotContain(secret[..20], log.Message + log.Exception, StringComparison.Ordinal));
    }
}
