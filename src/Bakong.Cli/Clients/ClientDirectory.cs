using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Grpc.Core;
using Grpc.Net.Client;
using ClientRole = Bakong.Identity.ClientRole;

namespace Bakong.Cli.Clients;

/// <summary>
/// Where <c>bakong clients</c> adds, lists and revokes: the client store of the data directory (gateway stopped), or
/// a running gateway's admin API, which holds that store.
/// </summary>
internal interface IClientDirectory : IDisposable
{
    /// <summary>Where the clients are, for messages: the store's file or the gateway's address.</summary>
    string Where { get; }

    Task<NewApiClient> AddAsync(ClientRegistration registration, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The revoked client; null when there is none of that id.</summary>
    Task<ApiClient?> RevokeAsync(string clientId, CancellationToken cancellationToken);
}

/// <summary>The client store itself, with the gateway stopped.</summary>
internal sealed class StoreClientDirectory(ClientStore store) : IClientDirectory
{
    public string Where => store.DatabasePath;

    public Task<NewApiClient> AddAsync(ClientRegistration registration, CancellationToken cancellationToken) => Task.FromResult(store.Add(registration));

    public Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken) => Task.FromResult(store.List());

    public Task<ApiClient?> RevokeAsync(string clientId, CancellationToken cancellationToken) => Task.FromResult(store.Revoke(clientId));

    public void Dispose() => store.Dispose();
}

/// <summary>A running gateway's <c>bakong.admin.v1.AdminService</c>, with an operator's key. Its errors stay <see cref="RpcException"/>s.</summary>
internal sealed class GatewayClientDirectory(Uri server, string key) : IClientDirectory
{
    private readonly GrpcChannel _channel = GatewayClient.Open(server, key);

    public string Where => "the gateway at " + server.AbsoluteUri.TrimEnd('/');

    private AdminService.AdminServiceClient Admin => new(_channel);

    public async Task<NewApiClient> AddAsync(ClientRegistration registration, CancellationToken cancellationToken)
    {
        var request = new AddClientRequest { Role = ToProto(registration.Role), Name = registration.Name ?? string.Empty };
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
        client.RevokeTime?.ToDateTimeOffset());
}
