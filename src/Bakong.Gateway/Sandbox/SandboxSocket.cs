using System.Net.Sockets;
using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Http;

namespace Bakong.Gateway.Sandbox;

/// <summary>
/// How a Sandbox gateway whose Web endpoint is on https reaches its own sandbox: over a Unix domain socket of its own
/// (HTTP/1.1, no TLS) in a new owner-only temporary folder, not through that endpoint. Through the endpoint, every
/// check would need a certificate this machine trusts and, with <c>Network:ClientCertificates=Require</c>, a client
/// certificate the gateway does not have, and no payment would settle. Only the sandbox's paths are answered on the
/// socket. On <c>http://</c> the gateway keeps calling its Web endpoint, as any other program of the machine does.
/// </summary>
internal sealed class SandboxSocket : IDisposable
{
    /// <summary>The sandbox's base URL as the gateway's Bakong client sees it: the host name only fills the Host header.</summary>
    public static readonly Uri BaseUrl = new("http://localhost" + GatewayHost.SandboxPrefix + "/");

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("bakong-sandbox-");

    /// <summary>The socket's file.</summary>
    public string Path => System.IO.Path.Combine(_folder.FullName, "sandbox.sock");

    /// <summary>The gateway hosts its sandbox and its Web endpoint, where the sandbox would be called, is on https.</summary>
    public static bool IsNeeded(IConfiguration configuration, GatewayBakongOptions bakong) =>
        bakong.HostsSandbox && GatewayEndpoints.SandboxBaseUrl(configuration).Scheme == Uri.UriSchemeHttps;

    /// <summary>Registers the socket, Kestrel's listener on it, and the Bakong clients' connections to it.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton<SandboxSocket>();
        services.AddOptions<KestrelServerOptions>().Configure<SandboxSocket>((kestrel, socket) =>
            kestrel.ListenUnixSocket(socket.Path, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;

                // Marks its connections; a request's features fall back to its connection's.
                listen.Use(next => connection =>
                {
                    connection.Features.Set(Marker.Instance);
                    return next(connection);
                });
            }));
        // A typed client's name is its type's name (AddHttpClient<IBakongClient, BakongClient>).
        foreach (var client in new[] { nameof(IBakongClient), nameof(IBakongRegistrationApi) })
        {
            services.AddOptions<HttpClientFactoryOptions>(client).Configure<SandboxSocket>((o, socket) =>
                o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = socket.Handler()));
        }
    }

    /// <summary>Whether <paramref name="context"/> came through a sandbox socket; only the sandbox is served there.</summary>
    public static bool CameThrough(HttpContext context) => context.Features.Get<Marker>() is not null;

    /// <summary>A handler whose every connection is to the socket.</summary>
    public SocketsHttpHandler Handler() => new()
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        AllowAutoRedirect = false,
        UseCookies = false,
    };

    private sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    public void Dispose()
    {
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temporary-file cleanup; nothing listens on it any more.
        }
    }
}
