using System.Net.Sockets;
using System.Text;

namespace Bakong.Gateway.Tests;

/// <summary>
/// Kestrel's limits come from Limits:* (the gateway sets them deliberately; Kestrel's defaults accept any number of
/// connections): a connection past Limits:MaxConnections is closed without an answer, on real loopback sockets.
/// </summary>
public sealed class ConnectionLimitTests : GatewayTest
{
    private readonly int _webPort = FreePort.Next();

    public ConnectionLimitTests()
    {
        Gateway.Settings["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:" + FreePort.Next();
        Gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://127.0.0.1:" + _webPort;
        Gateway.Settings["Limits:MaxConnections"] = "3";
        Gateway.UseKestrel();
    }

    [Fact]
    public async Task A_connection_past_the_maximum_is_closed_without_an_answer_while_the_open_ones_are_served()
    {
        Gateway.StartServer();
        var connections = new List<TcpClient>();
        try
        {
            // Kept open (HTTP/1.1 keep-alive) after their answer. The gateway's own Bakong client calls the sandbox on
            // this endpoint, so it may hold a slot, or give one back, while the test connects: the test keeps opening
            // connections (all held) until one is refused, which must happen by the time the test holds every slot.
            var answered = 0;
            string? refused = null;
            for (var i = 0; i < 8 && refused is null; i++)
            {
                var client = new TcpClient();
                connections.Add(client);
                await client.ConnectAsync("127.0.0.1", _webPort, Ct);
                var reply = await GetHealthAsync(client.GetStream());
                if (reply.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                {
                    answered++;
                }
                else
                {
                    refused = reply;
                }
            }

            Assert.Equal("", refused);
            Assert.InRange(answered, 1, 3);

            // The first connection is still served.
            Assert.StartsWith("HTTP/1.1 200", await GetHealthAsync(connections[0].GetStream()), StringComparison.Ordinal);
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// Asks for /healthz and reads the whole response (its status line and more), or "" when the server closed the
    /// connection. Whole: a chunked answer's last chunk may come in a segment of its own, and left unread it would be
    /// taken for the next request's answer on this kept-alive connection.
    /// </summary>
    private static async Task<string> GetHealthAsync(NetworkStream stream)
    {
        try
        {
            await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), Ct);
            var response = new StringBuilder();
            var buffer = new byte[4096];
            while (!IsComplete(response.ToString()))
            {
                var read = await stream.ReadAsync(buffer, Ct).AsTask().WaitAsync(GatewayFactory.Timeout, Ct);
                if (read == 0)
                {
                    break;
                }

                response.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return response.ToString();
        }
        catch (IOException)
        {
            // Reset by the server (it closed before or while the request was written).
            return "";
        }
    }

    /// <summary>Whether <paramref name="response"/> holds a whole HTTP/1.1 response: chunked up to its last chunk, or its Content-Length.</summary>
    private static bool IsComplete(string response)
    {
        var headersEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headersEnd < 0)
        {
            return false;
        }

        var headers = response[..headersEnd];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return response.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = headers.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is null || response.Length - headersEnd - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
