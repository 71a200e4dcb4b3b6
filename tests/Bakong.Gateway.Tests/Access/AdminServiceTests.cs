using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Access;

/// <summary><c>bakong.admin.v1.AdminService</c>: operators manage the clients of a running gateway; nobody else may.</summary>
public sealed class AdminServiceTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task An_operator_adds_a_terminal_whose_key_works_at_once_lists_it_without_a_key_and_revokes_it()
    {
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));

        var added = await admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Terminal, TerminalIds = { "till-1" }, Name = "Till 1" }, cancellationToken: Ct);
        var created = await _gateway.PaymentsAs(added.Key).CreatePaymentAsync(Requests.Create("by-new-key"), cancellationToken: Ct);
        var listed = await admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct);
        var revoked = await admin.RevokeClientAsync(new RevokeClientRequest { ClientId = added.Client.ClientId }, cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(added.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.StartsWith("bk_" + added.Client.ClientId + "_", added.Key, StringComparison.Ordinal);
        Assert.Equal("till-1", created.Payment.TerminalId);
        var row = Assert.Single(listed.Clients, c => c.ClientId == added.Client.ClientId);
        Assert.Equal((ClientRole.Terminal, "Till 1", "till-1"), (row.Role, row.Name, Assert.Single(row.TerminalIds)));
        Assert.DoesNotContain(added.Key[20..], listed.ToString(), StringComparison.Ordinal);
        Assert.NotNull(revoked.Client.RevokeTime);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Single(_gateway.Logs.Named("ClientAdded"));
        Assert.All(_gateway.Logs.Entries, log => Assert.DoesNotContain(added.Key[20..], log.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_terminal_key_is_permission_denied_and_no_key_unauthenticated()
    {
        var asTerminal = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Terminal, "till-1")));
        var asNobody = new AdminService.AdminServiceClient(_gateway.As(null));

        var terminal = await Assert.ThrowsAsync<RpcException>(() => asTerminal.AddClientAsync(new AddClientRequest { Role = ClientRole.Operator }, cancellationToken: Ct).ResponseAsync);
        var nobody = await Assert.ThrowsAsync<RpcException>(() => asNobody.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, terminal.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, nobody.StatusCode);
        Assert.Single(_gateway.Clients().List());
    }

    [Fact]
    public async Task A_wrong_client_is_invalid_argument_naming_the_field_and_an_unknown_id_not_found()
    {
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));

        var noTerminal = await Assert.ThrowsAsync<RpcException>(() => admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Kiosk }, cancellationToken: Ct).ResponseAsync);
        var noRole = await Assert.ThrowsAsync<RpcException>(() => admin.AddClientAsync(new AddClientRequest { TerminalIds = { "till-1" } }, cancellationToken: Ct).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => admin.RevokeClientAsync(new RevokeClientRequest { ClientId = "abcdefghijkm" }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, noTerminal.StatusCode);
        Assert.Equal("terminal_ids", Assert.Single(noTerminal.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal("role", Assert.Single(noRole.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task An_operator_binds_a_client_to_a_certificate_after_which_its_key_alone_is_refused_and_unbinding_restores_it()
    {
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));
        var till = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-1"], null));
        using var certificate = TestCertificates.SelfSigned("CN=till-1");

        var bound = await admin.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = till.Client.Id, CertificatePem = certificate.ExportCertificatePem() }, cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(till.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);
        var listed = await admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct);
        var unbound = await admin.UnbindClientCertificateAsync(new UnbindClientCertificateRequest { ClientId = till.Client.Id }, cancellationToken: Ct);
        await _gateway.PaymentsAs(till.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct);

        var thumbprint = Identity.ClientCertificate.Thumbprint(certificate);
        Assert.Equal(thumbprint, bound.Client.CertificateSha256);
        Assert.Equal(thumbprint, Assert.Single(listed.Clients, c => c.ClientId == till.Client.Id).CertificateSha256);

        // This TestServer is plaintext: a bound client can never authenticate on it.
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("", unbound.Client.CertificateSha256);
        Assert.Null(_gateway.Clients().Find(till.Client.Id)!.CertificateThumbprint);
        Assert.Single(_gateway.Logs.Named("ClientCertificateBound"));
    }

    [Fact]
    public async Task Add_client_with_a_certificate_binds_it_and_a_bad_certificate_or_id_is_invalid_argument_naming_the_field()
    {
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));
        using var certificate = TestCertificates.SelfSigned("CN=kiosk-1");

        var added = await admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Kiosk, TerminalIds = { "kiosk-1" }, CertificatePem = certificate.ExportCertificatePem() }, cancellationToken: Ct);
        var badPem = await Assert.ThrowsAsync<RpcException>(() => admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Kiosk, TerminalIds = { "kiosk-1" }, CertificatePem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----" }, cancellationToken: Ct).ResponseAsync);
        var noPem = await Assert.ThrowsAsync<RpcException>(() => admin.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = added.Client.ClientId }, cancellationToken: Ct).ResponseAsync);
        var badId = await Assert.ThrowsAsync<RpcException>(() => admin.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = "nope", CertificatePem = certificate.ExportCertificatePem() }, cancellationToken: Ct).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => admin.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = "abcdefghijkm", CertificatePem = certificate.ExportCertificatePem() }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(Identity.ClientCertificate.Thumbprint(certificate), added.Client.CertificateSha256);
        Assert.Equal(Identity.ClientCertificate.Thumbprint(certificate), _gateway.Clients().Find(added.Client.ClientId)!.CertificateThumbprint);
        Assert.Equal(StatusCode.InvalidArgument, badPem.StatusCode);
        Assert.Equal("certificate_pem", Assert.Single(badPem.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal("certificate_pem", Assert.Single(noPem.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal("client_id", Assert.Single(badId.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_terminal_key_may_not_bind_or_unbind_a_certificate()
    {
        var terminalKey = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var terminalId = _gateway.Clients().List()[0].Id;
        var asTerminal = new AdminService.AdminServiceClient(_gateway.As("Bearer " + terminalKey));
        using var certificate = TestCertificates.SelfSigned("CN=attacker");

        var bind = await Assert.ThrowsAsync<RpcException>(() => asTerminal.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = terminalId, CertificatePem = certificate.ExportCertificatePem() }, cancellationToken: Ct).ResponseAsync);
        var unbind = await Assert.ThrowsAsync<RpcException>(() => asTerminal.UnbindClientCertificateAsync(new UnbindClientCertificateRequest { ClientId = terminalId }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, bind.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, unbind.StatusCode);
        Assert.Null(_gateway.Clients().Find(terminalId)!.CertificateThumbprint);
    }
}
