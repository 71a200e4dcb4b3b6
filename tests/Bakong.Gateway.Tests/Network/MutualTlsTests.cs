using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Bakong.OpenApi.Audit;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// Mutual TLS (docs/security.md 'Mutual TLS'): a client bound to a TLS client certificate is accepted only on a
/// connection that presents exactly that certificate. The gateway runs on Kestrel over loopback with https on both
/// endpoints; every certificate (the gateway's, the clients', a CA) is made here. The gateway's clock is the fake one,
/// so the client certificates are valid around <see cref="GatewayFactory.Start"/>.
/// </summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();
    private readonly int _grpcPort = FreePort.Next();
    private readonly int _webPort = FreePort.Next();
    private readonly X509Certificate2 _server;
    private readonly X509Certificate2 _till = TestCertificates.SelfSigned("CN=till-1");
    private readonly X509Certificate2 _other = TestCertificates.SelfSigned("CN=someone-else");
    private readonly List<IDisposable> _disposables = [];

    public MutualTlsTests()
    {
        Directory.CreateDirectory(_gateway.StorageDirectory);
        _server = TestCertificates.Server();
        var pfx = Path.Combine(_gateway.StorageDirectory, "gateway.pfx");
        File.WriteAllBytes(pfx, _server.Export(X509ContentType.Pkcs12, "pfx-password"));

        foreach (var endpoint in new[] { ("Grpc", _grpcPort), ("Web", _webPort) })
        {
            _gateway.Settings["Kestrel:Endpoints:" + endpoint.Item1 + ":Url"] = "https://127.0.0.1:" + endpoint.Item2;
            _gateway.Settings["Kestrel:Endpoints:" + endpoint.Item1 + ":Certificate:Path"] = pfx;
            _gateway.Settings["Kestrel:Endpoints:" + endpoint.Item1 + ":Certificate:Password"] = "pfx-password";
        }

        _gateway.Settings["Network:ClientCertificates"] = "Allow";
        _gateway.UseKestrel();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        await _gateway.DisposeAsync();
        _server.Dispose();
        _till.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task A_bound_client_presenting_its_certificate_is_served_and_audited_as_key_and_certificate()
    {
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(_till) });

        var created = await Payments(_till, till.Key).CreatePaymentAsync(Requests.Create("with-certificate"), cancellationToken: Ct);

        Assert.Equal("till-1", created.Payment.TerminalId);
        var record = Assert.Single(await ApiRecordsAsync());
        Assert.Equal((till.Client.Id, "key+certificate", "OK"), (record.ClientId, record.Auth, record.Outcome));
    }

    [Fact]
    public async Task A_bound_clients_key_without_a_certificate_is_unauthenticated_over_grpc_and_rest_saying_why_without_the_key()
    {
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(_till) });

        var grpc = await Assert.ThrowsAsync<RpcException>(() => Payments(null, till.Key).CreatePaymentAsync(Requests.Create("no-certificate"), cancellationToken: Ct).ResponseAsync);
        using var rest = Web(null);
        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/payments?terminal_id=till-1");
        get.Headers.Authorization = new("Bearer", till.Key);
        using var restResponse = await rest.SendAsync(get, Ct);

        Assert.Equal(StatusCode.Unauthenticated, grpc.StatusCode);
        Assert.Contains("bound to a TLS client certificate", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, restResponse.StatusCode);
        var logs = _gateway.Logs.Named("CertificateMismatch");
        Assert.Equal(2, logs.Count);
        Assert.All(logs, log => Assert.Contains("presented none", log.Message, StringComparison.Ordinal));
        Assert.All(_gateway.Logs.Entries, log => Assert.DoesNotContain(till.Key[20..], log.Message, StringComparison.Ordinal));
        var record = Assert.Single(await ApiRecordsAsync());
        Assert.Equal(("-", "-", "UNAUTHENTICATED"), (record.ClientId, record.Auth, record.Outcome));
    }

    [Fact]
    public async Task A_bound_clients_key_with_another_certificate_is_unauthenticated_and_the_log_names_that_certificates_thumbprint()
    {
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(_till) });

        var refused = await Assert.ThrowsAsync<RpcException>(() => Payments(_other, till.Key).CreatePaymentAsync(Requests.Create("other-certificate"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("another TLS client certificate", refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(till.Key, refused.Status.Detail, StringComparison.Ordinal);
        var log = Assert.Single(_gateway.Logs.Named("CertificateMismatch"));
        Assert.Contains(ClientCertificate.Thumbprint(_other), log.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientCertificate.Thumbprint(_till), log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_not_bound_works_with_or_without_a_certificate_and_is_audited_as_key()
    {
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null));

        await Payments(null, till.Key).CreatePaymentAsync(Requests.Create("unbound-plain"), cancellationToken: Ct);
        await Payments(_other, till.Key).CreatePaymentAsync(Requests.Create("unbound-with-some-certificate"), cancellationToken: Ct);

        Assert.All(await ApiRecordsAsync(), r => Assert.Equal(("key", "OK"), (r.Auth, r.Outcome)));
    }

    [Fact]
    public async Task Require_refuses_a_tls_handshake_without_a_certificate_and_lets_one_with_a_certificate_through()
    {
        _gateway.Settings["Network:ClientCertificates"] = "Require";
        _gateway.StartServer();

        using var without = Web(null);
        using var with = Web(_other);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => without.GetAsync(new Uri("/healthz", UriKind.Relative), Ct));
        using var served = await with.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task With_certificates_required_a_sandbox_payment_settles_as_the_gateway_checks_through_its_own_socket_which_serves_only_the_sandbox()
    {
        // Through the https Web endpoint the gateway's checks would need this test's certificate authority and a
        // client certificate: every one would fail, and the payment would never settle.
        _gateway.Settings["Network:ClientCertificates"] = "Require";
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null));
        var payments = Payments(_till, till.Key);

        var created = (await payments.CreatePaymentAsync(Requests.Create("settles-over-tls"), cancellationToken: Ct)).Payment;
        await _gateway.WaitForFirstCheckAsync(created.PaymentId);
        _gateway.Sandbox.Pay(new Bakong.Sandbox.SandboxPayRequest { Qr = created.Khqr });
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await _gateway.Store.SavedAsync(created.PaymentId, p => p.State != Bakong.Payments.PaymentState.Pending);

        Assert.Equal(Bakong.Payments.PaymentState.Paid, paid.State);
        var socket = new UnixDomainSocketEndPoint(
            Regex.Match(Assert.Single(_gateway.Logs.Named("SandboxSocket")).Message, @"(\S+\.sock)\b").Groups[1].Value);
        using var local = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, ct) => ConnectAsync(socket, ct) })
        {
            BaseAddress = new Uri("http://localhost"),
        };
        using var sandbox = await local.PostAsync(new Uri("/sandbox/v1/check_transaction_by_md5", UriKind.Relative), JsonContent.Create(new { md5 = created.Md5 }), Ct);
        using var other = await local.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.NotFound), (sandbox.StatusCode, other.StatusCode));
    }

    [Fact]
    public async Task The_handshake_checks_a_certificates_dates_on_the_gateways_clock()
    {
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(_till) });
        await Payments(_till, till.Key).CreatePaymentAsync(Requests.Create("in-its-dates"), cancellationToken: Ct);

        _gateway.Clock.Advance(TimeSpan.FromDays(40));
        var expired = await Assert.ThrowsAsync<RpcException>(() => Payments(_till, till.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.NotEqual(StatusCode.OK, expired.StatusCode);
        Assert.Contains("expired", Assert.Single(_gateway.Logs.Named("ClientCertificateRefused")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_ca_configured_only_certificates_it_issued_pass_the_handshake_and_the_thumbprint_still_decides_the_client()
    {
        using var ca = TestCertificates.Authority("CN=shop-ca");
        var caFile = Path.Combine(_gateway.StorageDirectory, "clients-ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        using var issued = TestCertificates.Issued(ca, "CN=till-1");
        using var issuedToAnother = TestCertificates.Issued(ca, "CN=till-2");
        _gateway.Settings["Network:ClientCertificateAuthority"] = caFile;
        _gateway.StartServer();
        var till = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(issued) });
        var selfSignedTill = _gateway.Clients().Add(new ClientRegistration(Identity.ClientRole.Terminal, ["till-1"], null) { CertificateThumbprint = ClientCertificate.Thumbprint(_till) });

        var served = await Payments(issued, till.Key).CreatePaymentAsync(Requests.Create("issued"), cancellationToken: Ct);
        var sameCaOtherCertificate = await Assert.ThrowsAsync<RpcException>(() => Payments(issuedToAnother, till.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);
        var notIssued = await Assert.ThrowsAsync<RpcException>(() => Payments(_till, selfSignedTill.Key).ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.Equal("till-1", served.Payment.TerminalId);
        Assert.Equal(StatusCode.Unauthenticated, sameCaOtherCertificate.StatusCode);
        Assert.NotEqual(StatusCode.OK, notIssued.StatusCode);
        Assert.Contains("does not chain to Network:ClientCertificateAuthority", Assert.Single(_gateway.Logs.Named("ClientCertificateRefused")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_setting_that_is_not_one_stops_the_start_naming_it()
    {
        _gateway.Settings["Network:ClientCertificates"] = "Sometimes";

        var refused = Assert.ThrowsAny<Exception>(() => _gateway.StartServer());

        Assert.Contains("Network:ClientCertificates must be None, Allow or Require", refused.ToString(), StringComparison.Ordinal);
    }

    private PaymentService.PaymentServiceClient Payments(X509Certificate2? certificate, string key)
    {
        var channel = GrpcChannel.ForAddress("https://127.0.0.1:" + _grpcPort, new GrpcChannelOptions { HttpHandler = Handler(certificate) });
        _disposables.Add(channel);
        return new PaymentService.PaymentServiceClient(channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + key);
            return metadata;
        }));
    }

    private HttpClient Web(X509Certificate2? certificate) =>
        new(Handler(certificate)) { BaseAddress = new Uri("https://127.0.0.1:" + _webPort) };

    /// <summary>Trusts exactly the gateway's certificate, and presents <paramref name="certificate"/> when asked (null: none).</summary>
    private SocketsHttpHandler Handler(X509Certificate2? certificate) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == _server.Thumbprint,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
            ClientCertificates = certificate is null ? null : [certificate],

            // Each client here is a new TLS session: a resumed one would not be asked for its certificate again.
            AllowTlsResume = false,
        },
    };

    private static async ValueTask<Stream> ConnectAsync(UnixDomainSocketEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(endPoint, cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task<IReadOnlyList<ApiCallRecord>> ApiRecordsAsync()
    {
        var audit = _gateway.Services.GetRequiredService<LiteDbCallAudit>();
        await audit.FlushAsync(Ct);
        return audit.QueryApi(DateTimeOffset.MinValue);
    }
}
