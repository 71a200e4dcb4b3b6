extern alias testing;

using System.Security.Cryptography;
using System.Text.Json;
using System.Security.Cryptography.X509Certificates;
using Bakong.Cli.Payments;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Microsoft.Extensions.DependencyInjection;
using testing::Bakong.Gateway.Tests;
using testing::Bakong.Gateway.Tests.Support;
using testing::Bakong.Testing;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// <c>bakong</c> over https with the TLS settings of the environment (docs/cli.md 'TLS'): the gateway's certificate
/// checked against <c>BAKONG_TLS_CA</c>, and a client certificate from <c>BAKONG_TLS_CERTIFICATE</c> (and
/// <c>BAKONG_TLS_KEY</c>) for a gateway that requires one. The gateway runs on Kestrel over loopback, with https and
/// <c>Network:ClientCertificates=Require</c>; every certificate is made here and written as PEM files.
/// </summary>
public sealed class GatewayTlsTests : IAsyncDisposable
{
    private const string PfxPassword = "pfx-password";

    private readonly GatewayFactory _gateway = new();
    private readonly int _port = FreePort.Next();
    private readonly int _webPort = FreePort.Next();
    private readonly string _files = Directory.CreateTempSubdirectory("bakong-cli-tls-").FullName;
    private readonly X509Certificate2 _till = TestCertificates.SelfSigned("CN=owner-laptop");
    private readonly string _serverPem;
    private readonly string _certificatePem;
    private readonly string _keyPem;
    private readonly string _combinedPem;

    public GatewayTlsTests()
    {
        Directory.CreateDirectory(_gateway.StorageDirectory);
        using var server = TestCertificates.Server();
        File.WriteAllBytes(ServerPfx, server.Export(X509ContentType.Pkcs12, PfxPassword));
        OnHttps("Grpc", _port);
        _gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://127.0.0.1:" + _webPort;
        _gateway.Settings["Network:ClientCertificates"] = "Require";
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        _gateway.UseKestrel();

        _serverPem = Write("gateway-ca.pem", server.ExportCertificatePem());
        var certificate = _till.ExportCertificatePem();
        using var tillKey = _till.GetECDsaPrivateKey()!;
        var privateKey = tillKey.ExportPkcs8PrivateKeyPem();
        _certificatePem = Write("owner.pem", certificate);
        _keyPem = Write("owner.key", privateKey);
        _combinedPem = Write("owner-with-key.pem", certificate + "\n" + privateKey);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Server => "https://127.0.0.1:" + _port;

    private string ServerPfx => Path.Combine(_gateway.StorageDirectory, "gateway.pfx");

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _till.Dispose();
        Directory.Delete(_files, recursive: true);
    }

    [Fact]
    public async Task A_command_presents_the_client_certificate_of_the_environment_and_trusts_the_gateway_by_BAKONG_TLS_CA()
    {
        var run = await ListPaymentsAsync(
            new() { [GatewayTls.AuthorityVariable] = _serverPem, [GatewayTls.CertificateVariable] = _certificatePem, [GatewayTls.KeyVariable] = _keyPem });

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        Assert.Contains("(no payments)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_and_its_key_in_one_file_need_no_BAKONG_TLS_KEY()
    {
        var run = await ListPaymentsAsync(new() { [GatewayTls.AuthorityVariable] = _serverPem, [GatewayTls.CertificateVariable] = _combinedPem });

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
    }

    [Fact]
    public async Task Without_a_client_certificate_the_gateway_refuses_the_handshake_and_the_error_names_BAKONG_TLS_CERTIFICATE()
    {
        var run = await ListPaymentsAsync(new() { [GatewayTls.AuthorityVariable] = _serverPem });

        AssertRefusedSaying(run, GatewayTls.CertificateVariable);
    }

    [Fact]
    public async Task Without_BAKONG_TLS_CA_the_gateways_own_certificate_is_not_trusted_and_the_error_names_the_variable()
    {
        var run = await ListPaymentsAsync(new() { [GatewayTls.CertificateVariable] = _certificatePem, [GatewayTls.KeyVariable] = _keyPem });

        AssertRefusedSaying(run, GatewayTls.AuthorityVariable);
    }

    [Fact]
    public async Task A_CA_file_that_is_not_the_gateways_is_refused_like_none()
    {
        var run = await ListPaymentsAsync(new() { [GatewayTls.AuthorityVariable] = _certificatePem, [GatewayTls.CertificateVariable] = _combinedPem });

        AssertRefusedSaying(run, GatewayTls.AuthorityVariable);
    }

    [Fact]
    public async Task A_gateway_certificate_for_another_host_name_is_refused_even_when_BAKONG_TLS_CA_holds_it()
    {
        // The certificate names 127.0.0.1 only.
        var run = await ListPaymentsAsync(
            new() { [GatewayTls.AuthorityVariable] = _serverPem, [GatewayTls.CertificateVariable] = _combinedPem }, "https://localhost:" + _port);

        AssertRefusedSaying(run, "must name the host of --server");
    }

    public static TheoryData<string, string?, string?, string?, string> UnusableSettings => new()
    {
        // name, BAKONG_TLS_CA, BAKONG_TLS_CERTIFICATE, BAKONG_TLS_KEY, the variable the line names
        { "no such certificate file", null, "missing.pem", null, GatewayTls.CertificateVariable },
        { "a certificate without its key", null, "owner.pem", null, GatewayTls.CertificateVariable },
        { "no such key file", null, "owner.pem", "missing.key", GatewayTls.KeyVariable },
        { "a key without a certificate", null, null, "owner.key", GatewayTls.KeyVariable },
        { "a key of another certificate", null, "owner.pem", "other.key", GatewayTls.KeyVariable },
        { "a CA file with no certificate", "owner.key", null, null, GatewayTls.AuthorityVariable },
        { "a CA file too big to be PEM", "big.pem", null, null, GatewayTls.AuthorityVariable },
    };

    [Theory]
    [MemberData(nameof(UnusableSettings))]
    public async Task Unusable_TLS_files_are_exit_2_with_one_line_naming_the_variable_and_never_the_files_content(
        string name, string? authority, string? certificate, string? key, string named)
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Write("other.key", other.ExportPkcs8PrivateKeyPem());
        Write("big.pem", new string('A', 2 * 1024 * 1024));
        var variables = new Dictionary<string, string?>
        {
            [GatewayTls.AuthorityVariable] = authority is null ? null : Path.Combine(_files, authority),
            [GatewayTls.CertificateVariable] = certificate is null ? null : Path.Combine(_files, certificate),
            [GatewayTls.KeyVariable] = key is null ? null : Path.Combine(_files, key),
        };

        // Refused before anything is sent: no gateway runs at this address.
        var run = await RunAsync(variables, "payments", "list", "--server", "https://127.0.0.1:" + FreePort.Next(), "--key", "bk_test");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(Lines(run.Error));
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", line, StringComparison.Ordinal);
        Assert.True(run.Output.Length == 0, name);
    }

    [Fact]
    public async Task The_watch_load_pays_through_the_sandbox_over_https_with_the_TLS_of_the_environment()
    {
        // The sandbox's Web endpoint on https too, with the gateway's certificate and its client certificates required.
        var web = OnHttps("Web", _webPort);
        var key = StartWithOperatorKey();
        var output = new LineWriter();
        var error = new LineWriter();
        var context = new CliContext(TimeProvider.System, TextReader.Null, output, error)
        {
            Variables = new Dictionary<string, string?> { [GatewayTls.AuthorityVariable] = _serverPem, [GatewayTls.CertificateVariable] = _combinedPem }.GetValueOrDefault,
        };
        var run = RunOverTheNetworkAsync(context, [
            "payments", "load", "--watchers", "2", "--payments", "1", "--terminal", "TLS-WATCH",
            "--server", Server, "--sandbox-url", web + "/sandbox", "--key", key, "--json"], Ct);

        // The customer's payment went through the sandbox's https endpoint; the gateway's poller finds it through its
        // own socket (with client certificates required, it could not through that endpoint).
        var paying = error.LineAsync("paid 1 payment; waiting for PAID on 2 streams");
        Assert.True(await Task.WhenAny(paying, run).WaitAsync(CliGateway.Timeout, Ct) == paying, error.ToString());
        var created = await _gateway.Store.WaitForAsync(w => w.Kind == StoreWriteKind.Inserted);
        await _gateway.WaitForFirstCheckAsync(created.PaymentId).WaitAsync(CliGateway.Timeout, Ct);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await run.WaitAsync(CliGateway.Timeout, Ct));
        Assert.Contains("1000 KHR", (await _gateway.Logs.WaitForAsync("SandboxPaid")).Message, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(output.ToString());
        Assert.Equal(2, result.RootElement.GetProperty("paid").GetInt32());
    }

    [Fact]
    public async Task Sandbox_pay_on_the_gateways_https_web_endpoint_uses_the_TLS_variables_and_names_the_one_a_failed_handshake_needs()
    {
        var web = OnHttps("Web", _webPort);
        _gateway.StartServer();
        var qr = await RunAsync([], "khqr", "generate", "--account", "shop@aclb", "--name", "Shop", "--amount", "1000", "--currency", "KHR", "--json");
        using var generated = JsonDocument.Parse(qr.Output);
        string[] pay = ["sandbox", "pay", "--url", web + "/sandbox", "--qr", generated.RootElement.GetProperty("qr").GetString()!];

        var untrusted = await RunAsync([], pay);
        var withoutCertificate = await RunAsync(new() { [GatewayTls.AuthorityVariable] = _serverPem }, pay);
        var paid = await RunAsync(new() { [GatewayTls.AuthorityVariable] = _serverPem, [GatewayTls.CertificateVariable] = _combinedPem }, pay);

        AssertRefusedSaying(untrusted, "must name the host of --url and chain to a CA this machine trusts or to one in " + GatewayTls.AuthorityVariable);
        AssertRefusedSaying(withoutCertificate, "name yours in " + GatewayTls.CertificateVariable);
        Assert.Equal((0, ""), (paid.ExitCode, paid.Error));
        using var answer = JsonDocument.Parse(paid.Output);
        Assert.Equal("PAID", answer.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_command_that_reaches_no_gateway_does_not_read_the_TLS_variables()
    {
        var run = await RunAsync(
            new() { [GatewayTls.CertificateVariable] = Path.Combine(_files, "missing.pem") },
            "khqr", "generate", "--account", "shop@aclb", "--name", "Shop");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
    }

    /// <summary>
    /// Starts the gateway with an operator client bound to the test's client certificate, and runs <c>bakong payments
    /// list</c> with that client's key against <paramref name="server"/> (the gateway's own address by default).
    /// </summary>
    private Task<CliRun> ListPaymentsAsync(Dictionary<string, string?> variables, string? server = null) =>
        RunAsync(variables, "payments", "list", "--server", server ?? Server, "--key", StartWithOperatorKey());

    /// <summary>Puts the gateway's endpoint <paramref name="endpoint"/> on https at <paramref name="port"/> with its certificate; its URL.</summary>
    private string OnHttps(string endpoint, int port)
    {
        var url = "https://127.0.0.1:" + port;
        _gateway.Settings["Kestrel:Endpoints:" + endpoint + ":Url"] = url;
        _gateway.Settings["Kestrel:Endpoints:" + endpoint + ":Certificate:Path"] = ServerPfx;
        _gateway.Settings["Kestrel:Endpoints:" + endpoint + ":Certificate:Password"] = PfxPassword;
        return url;
    }

    /// <summary>Starts the gateway; the key of an operator client bound to the test's client certificate.</summary>
    private string StartWithOperatorKey()
    {
        _gateway.StartServer();
        return _gateway.Services.GetRequiredService<IClientStore>()
            .Add(new ClientRegistration(ClientRole.Operator, [], "owner") { CertificateThumbprint = ClientCertificate.Thumbprint(_till) })
            .Key;
    }

    /// <summary>Exit 1 and one line on stderr naming <paramref name="expected"/>, not the hint for a gateway that is not running.</summary>
    private static void AssertRefusedSaying(CliRun run, string expected)
    {
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(Lines(run.Error));
        Assert.True(line.Contains(expected, StringComparison.Ordinal) && !line.Contains("Start it with", StringComparison.Ordinal), line);
    }

    private async Task<CliRun> RunAsync(Dictionary<string, string?> variables, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext(TimeProvider.System, TextReader.Null, output, error) { Variables = name => variables.GetValueOrDefault(name) };
        var exitCode = await RunOverTheNetworkAsync(context, args, Ct).WaitAsync(CliGateway.Timeout, Ct);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>bakong</c> over the network (not the in-process handler another test of the process may have set).</summary>
    private static async Task<int> RunOverTheNetworkAsync(CliContext context, string[] args, CancellationToken cancellationToken)
    {
        GatewayClient.HandlerOverride.Value = null;
        return await CliApp.RunAsync(args, context, cancellationToken);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_files, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
