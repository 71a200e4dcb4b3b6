using System.Net.Http;
using Bakong.Cli.Payments;
using Grpc.Core;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// How a client command tells "this address does not speak HTTP/2" (the gateway's Web endpoint, any HTTP/1.x server)
/// from other failures. Against a real HTTP/1.1 endpoint the handler reports either shape, depending on a race
/// (<c>A_client_command_sent_to_an_http_1_endpoint_says_where_grpc_is_and_exits_1</c> meets whichever comes), so each
/// is pinned here.
/// </summary>
public sealed class GatewayClientTests
{
    [Fact]
    public void An_http_1_1_required_refusal_is_an_endpoint_without_http_2()
    {
        var refusal = new HttpRequestException(
            HttpRequestError.HttpProtocolError, "The HTTP/2 server closed the connection. HTTP/2 error code 'HTTP_1_1_REQUIRED' (0xd).");

        Assert.True(GatewayClient.SpeaksNoHttp2(StartFailure(refusal)));
    }

    [Fact]
    public void A_handshake_the_server_never_completed_is_an_endpoint_without_http_2()
    {
        var handshake = new HttpRequestException(
            HttpRequestError.Unknown, "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.");

        Assert.True(GatewayClient.SpeaksNoHttp2(StartFailure(handshake)));
    }

    [Fact]
    public void A_refused_connection_or_another_unknown_error_is_not_taken_for_one()
    {
        Assert.False(GatewayClient.SpeaksNoHttp2(StartFailure(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"))));
        Assert.False(GatewayClient.SpeaksNoHttp2(StartFailure(
            new HttpRequestException(HttpRequestError.Unknown, "An error occurred while sending the request.", new IOException("reset")))));
    }

    private static RpcException StartFailure(Exception cause) =>
        new(new Status(StatusCode.Internal, "Error starting gRPC call. " + cause.Message, cause));
}
