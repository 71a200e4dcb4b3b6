using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Grpc.Core;
using Grpc.Net.Client;
using ClientRole = Bakong.Identity.ClientRole;

namespace Bakong.Cli.Clients;

/// <summary>
/// Where <c>bakong clients</c> adds, lists, revokes and binds to certificates: the client store of the data directory (gateway stopped),
/// the gateway's PostgreSQL database, or a running gateway's admin API, which holds that store.
/// </summary>
internal interface IClientDirectory : IDisposable
{
    /// <summary>Where the clients are, for messages: the store's file or the gateway's address.</summary>
    string Where { get; }

    /// <summary>Adds a client; bound to <paramref name="certificate"/> when one is given.</summary>
    Task<NewApiClient> AddAsync(ClientRegistration registration, CertificateFile? certificate, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The revoked client; null when there is none of that id.</summary>
    Task<ApiClient?> RevokeAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>The client bound to <paramref name="certificate"/>, or unbound with null; null when there is none of that id.</summary>
    Task<ApiClient?> BindCertificateAsync(string clientId, CertificateFile? certificate, CancellationToken cancellationToken);
}

/// <summary>A TLS client certificate read from a PEM file: the text for the admin API, the thumbprint for the store.</summary>
internal sealed record CertificateFile(string Pem, string Thumbprint);

/// <summary>
/// The client store itself: the LiteDB file with the gateway stopped, or PostgreSQL's table (<see cref="GatewayStorage"/>);
/// <paramref name="owner"/> is what closing it closes (the file, or the database's pool).
/// </summary>
internal sealed class StoreClientDirectory(IClientStore store, string where, IDisposable owner) : IClientDirectory
{
    public StoreClientDirectory(ClientStore store)
        : this(store, store.DatabasePath, store)
    {
    }

    public string Where => where;

    public Task<NewApiClient> AddAsync(ClientRegistration registration, CertificateFile? certificate, CancellationToken cancellationToken) =>
        Task.FromResult(store.Add(registration with { CertificateThumbprint = certificate?.Thumbprint }));

    public Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken) => Task.FromResult(store.List());

    public Task<ApiClient?> RevokeAsync(string clientId, CancellationToken cancellationToken) => Task.FromResult(store.Revoke(clientId));

    public Task<ApiClient?> BindCertificateAsync(string clientId, CertificateFile? certificate, CancellationToken cancellationToken) =>
        Task.FromResult(store.BindCertificate(clientId, certificate?.Thumbprint));

    public void Dispose() => owner.Dispose();
}

/// <summary>
/// A running gateway's <c>bakong.admin.v1.AdminService</c>, with an operator's key (null for none: the gateway says
/// whether it needs one). Its errors stay <see cref="RpcException"/>s.
/// </summary>
internal sealed class GatewayClientDirectory(Uri server, string? key) : IClientDirectory
{
    private readonly GrpcChannel _channel = GatewayClient.Open(server, key);

    public string Where => "the gateway at " + server.AbsoluteUri.TrimEnd('/');

    private AdminService.AdminServiceClient Admin => new(_channel);

    public async Task<NewApiClient> AddAsync(ClientRegistration registration, CertificateFile? certificate, CancellationToken cancellationToken)
    {
        var request = new AddClientRequest { Role = ToProto(registration.Role), Name = registration.Name ?? string.Empty, CertificatePem = certificate?.Pem ?? string.Empty };
        request.TerminalIds.AddRange(registration.TerminalIds);
        var response = await Admin.AddClientAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new NewApiClient(ToDomain(response.Client), response.Key);
    }

    public async Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await Admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: cancellationToken).ConfigureAwait(false)).Clients.Select(ToDomain)];

    public async Task<ApiClient?> RevokeAsync(string clientId, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Admin.RevokeClientAsync(new RevokeClientRequest { ClientId = clientId }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ToDomain(response.Client);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ApiClient?> BindCertificateAsync(string clientId, CertificateFile? certificate, CancellationToken cancellationToken)
    {
        try
        {
            var client = certificate is null
                ? (await Admin.UnbindClientCertificateAsync(new UnbindClientCertificateRequest { ClientId = clientId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Client
                : (await Admin.BindClientCertificateAsync(new BindClientCertificateRequest { ClientId = clientId, CertificatePem = certificate.Pem }, cancellationToken: cancellationToken).ConfigureAwait(false)).Client;
            return ToDomain(client);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public void Dispose() => _channel.Dispose();

    private static Grpc.Admin.V1.ClientRole ToProto(ClientRole role) => role switch
    {
        ClientRole.Terminal => Grpc.Admin.V1.ClientRole.Terminal,
        ClientRole.Kiosk => Grpc.Admin.V1.ClientRole.Kiosk,
        ClientRole.Operator => Grpc.Admin.V1.ClientRole.Operator,
        _ => Grpc.Admin.V1.ClientRole.Unspecified,
    };

    private static ApiClient ToDomain(Client client) => new(
        client.ClientId,
        client.Name,
        client.Role switch
        {
            Grpc.Admin.V1.ClientRole.Terminal => ClientRole.Terminal,
            Grpc.Admin.V1.ClientRole.Kiosk => ClientRole.Kiosk,
            Grpc.Admin.V1.ClientRole.Operator => ClientRole.Operator,
            _ => default,
        },
        [.. client.TerminalIds],
        client.CreateTime?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch,
        client.RevokeTime?.ToDateTimeOffset())
    {
        CertificateThumbprint = client.CertificateSha256.Length > 0 ? client.CertificateSha256 : null,
    };
}
