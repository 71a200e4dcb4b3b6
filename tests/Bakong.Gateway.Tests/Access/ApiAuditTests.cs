using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Audit;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// The API audit: every create, cancel and admin action, refused ones included, with the client, the peer, the time
/// and the outcome, in the audit store beside the calls to Bakong; reads are not recorded, and a key never is.
/// </summary>
public sealed class ApiAuditTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Creates_cancels_and_admin_actions_are_recorded_with_client_peer_time_and_outcome_and_reads_are_not()
    {
        var terminal = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-1"], null));
        var other = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-9"], null));
        var operatorClient = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Operator, [], null));
        var payments = _gateway.PaymentsAs(terminal.Key);
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + operatorClient.Key));

        var created = (await payments.CreatePaymentAsync(Requests.Create("audited"), cancellationToken: Ct)).Payment;
        await payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        await payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct);
        _gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(other.Key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync);
        await payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        await Assert.ThrowsAsync<RpcException>(() => _gateway.Payments.CreatePaymentAsync(Requests.Create("no-key"), cancellationToken: Ct).ResponseAsync);
        var added = await admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Kiosk, TerminalIds = { "kiosk-1" } }, cancellationToken: Ct);
        await admin.RevokeClientAsync(new RevokeClientRequest { ClientId = added.Client.ClientId }, cancellationToken: Ct);

        var records = await ApiRecordsAsync();

        Assert.Equal(
            [
                ("RevokeClient", operatorClient.Client.Id, added.Client.ClientId, "OK"),
                ("AddClient", operatorClient.Client.Id, added.Client.ClientId, "OK"),
                ("CreatePayment", "-", "request_id no-key", "UNAUTHENTICATED"),
                ("CancelPayment", terminal.Client.Id, created.PaymentId, "OK"),
                ("CancelPayment", other.Client.Id, created.PaymentId, "NOT_FOUND"),
                ("CreatePayment", terminal.Client.Id, created.PaymentId, "OK"),
            ],
            records.Select(r => (r.Action, r.ClientId, r.Target, r.Outcome)));
        Assert.Equal(GatewayFactory.Start, records[^1].Time);
        Assert.Equal(GatewayFactory.Start.AddSeconds(1), records[0].Time);
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r.Peer)));

        // Never a key: not the callers', not the one AddClient made.
        var secrets = new[] { terminal.Key, other.Key, operatorClient.Key, added.Key }.Select(k => k[^30..]);
        Assert.All(records, r => Assert.All(secrets, secret => Assert.DoesNotContain(secret, r.ToString(), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_display_test_command_is_recorded_with_its_terminal_and_command_and_a_refused_one_too()
    {
        var operatorClient = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Operator, [], null));
        var terminal = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-1"], null));
        var request = new Grpc.Display.V1.SendDisplayCommandRequest { TerminalId = "till-1", Beep = new() { Pattern = Grpc.Display.V1.SendDisplayCommandRequest.Types.BeepPattern.Short } };

        await Assert.ThrowsAsync<RpcException>(() => new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + terminal.Key))
            .SendDisplayCommandAsync(request, cancellationToken: Ct).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + operatorClient.Key))
            .SendDisplayCommandAsync(request, cancellationToken: Ct).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => new Grpc.Display.V1.DisplayService.DisplayServiceClient(_gateway.As("Bearer " + operatorClient.Key))
            .SendDisplayCommandAsync(new() { TerminalId = "bad id\n", Clear = new() }, cancellationToken: Ct).ResponseAsync);

        var records = await ApiRecordsAsync();
        Assert.Equal(
            [
                ("SendDisplayCommand", null, "INVALID_ARGUMENT"),
                ("SendDisplayCommand", "terminal till-1 Beep", "NOT_FOUND"),
                ("SendDisplayCommand", "terminal till-1 Beep", "PERMISSION_DENIED"),
            ],
            records.Select(r => (r.Action, r.Target, r.Outcome)));
        Assert.Equal([operatorClient.Client.Id, operatorClient.Client.Id, terminal.Client.Id], records.Select(r => r.ClientId));
        Assert.Equal(["key", "key", "key"], records.Select(r => r.Auth));
    }

    [Fact]
    public async Task A_refused_call_records_no_id_the_service_would_not_accept()
    {
        var terminal = _gateway.AddClient(IdentityRole.Terminal, "till-1");

        await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(terminal).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = new string('x', 5000) }, cancellationToken: Ct).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(terminal).CreatePaymentAsync(Requests.Create("bad id\n"), cancellationToken: Ct).ResponseAsync);

        var records = await ApiRecordsAsync();
        Assert.Equal([("CreatePayment", null, "INVALID_ARGUMENT"), ("CancelPayment", null, "INVALID_ARGUMENT")], records.Select(r => (r.Action, r.Target, r.Outcome)));
    }

    private async Task<IReadOnlyList<ApiCallRecord>> ApiRecordsAsync()
    {
        var audit = _gateway.Services.GetRequiredService<LiteDbCallAudit>();
        await audit.FlushAsync(Ct);
        return audit.QueryApi(DateTimeOffset.MinValue);
    }
}
