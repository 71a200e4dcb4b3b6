using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Bakong.Grpc.Payments.V1;
using Grpc.Net.Client;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// TLS on both endpoints from Kestrel's own configuration (docs/security.md 'TLS'): a self-signed certificate made
/// here, as a PKCS#12 file with a password for the gRPC endpoint and as PEM certificate + key files for the web
/// endpoint, served by Kestrel on loopback. The clients trust exactly that certificate.
/// </summary>
public sealed class TlsTests : GatewayTest
{
    private readonly int _grpcPort = FreePort.Next();
    private readonly int _webPort = FreePort.Next();
    private readonly X509Certificate2 _certificate;

    public TlsTests()
    {
        Directory.CreateDirectory(Gateway.StorageDirectory);
        _certificate = TestCertificates.Server("localhost");

        var pfx = Path.Combine(Gateway.StorageDirectory, "gateway.pfx");
        File.WriteAllBytes(pfx, _certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        var pem = Path.Combine(Gateway.StorageDirectory, "gateway.pem");
        var pemKey = Path.Combine(Gateway.StorageDirectory, "gateway.key");
        File.WriteAllText(pem, _certificate.ExportCertificatePem());
        using var key = _certificate.GetRSAPrivateKey()!;
        File.WriteAllText(pemKey, key.ExportPkcs8PrivateKeyPem());

        Gateway.Settings["Kestrel:Endpoints:Grpc:Url"] = "https://127.0.0.1:" + _grpcPort;
        Gateway.Settings["Kestrel:Endpoints:Grpc:Certificate:Path"] = pfx;
        Gateway.Settings["Kestrel:Endpoints:Grpc:Certificate:Password"] = "pfx-password";
        Gateway.Settings["Kestrel:Endpoints:Web:Url"] = "https://127.0.0.1:" + _webPort;
        Gateway.Settings["Kestrel:Endpoints:Web:Certificate:Path"] = pem;
        Gateway.Settings["Kestrel:Endpoints:Web:Certificate:KeyPath"] = pemKey;
        Gateway.UseKestrel();
    }

    [Fact]
    public async Task Grpc_and_rest_are_served_over_tls_with_the_configured_certificate()
    {
        Gateway.StartServer();
        var seen = new List<string>();
        using var grpcHandler = Trusting(seen);
        using var channel = GrpcChannel.ForAddress("https://127.0.0.1:" + _grpcPort, new GrpcChannelOptions { HttpHandler = grpcHandler });
        var payments = new PaymentService.PaymentServiceClient(channel);
        using var webHandler = Trusting(seen);
        using var http = new HttpClient(webHandler) { BaseAddress = new Uri("https://127.0.0.1:" + _webPort) };

        var created = (await payments.CreatePaymentAsync(Requests.Create("over-tls"), cancellationToken: Ct)).Payment;
        using var got = await http.GetAsync(new Uri("/v1/payments/" + created.PaymentId, UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Contains(created.PaymentId, await got.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal([_certificate.Thumbprint, _certificate.Thumbprint], seen);
    }

    [Fact]
    public async Task A_plaintext_client_gets_no_answer_from_a_tls_endpoint()
    {
        Gateway.StartServer();
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:" + _webPort) };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct));
    }

    /// <summary>A handler that accepts the server's certificate only if it is the one made here, and records it.</summary>
    private SocketsHttpHandler Trusting(List<string> seen) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var thumbprint = certificate?.GetCertHashString() ?? "";
                lock (seen)
                {
                    seen.Add(thumbprint);
                }

                return thumbprint == _certificate.Thumbprint;
            },
        },
    };
}
