using System.CommandLine;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Bakong.Cli.Payments;

/// <summary>How the client commands reach the gateway's <c>PaymentService</c>, and how they report its errors.</summary>
internal static class GatewayClient
{
    /// <summary>The gateway's gRPC endpoint as <c>dotnet run --project src/Bakong.Gateway</c> starts it.</summary>
    public const string DefaultServer = "http://127.0.0.1:5080";

    public const string StartHint = "Start it with: dotnet run --project src/Bakong.Gateway";

    /// <summary>
    /// When set, the channel sends through the handler this makes instead of the network: a test routes the commands
    /// into a gateway hosted in-process (<c>factory.Server.CreateHandler</c>). Async-local, so parallel tests do not
    /// see each other's gateway.
    /// </summary>
    internal static readonly AsyncLocal<Func<HttpMessageHandler>?> HandlerOverride = new();

    public static Option<Uri> ServerOption() => new("--server")
    {
        Description = "The gateway's gRPC address.",
        DefaultValueFactory = _ => new Uri(DefaultServer),
        CustomParser = result => ParseServer(result.Tokens.Count == 0 ? DefaultServer : result.Tokens[0].Value, result),
    };

    /// <summary>A gateway's gRPC address given to an option, or an error naming the option: http:// and https:// only.</summary>
    public static Uri? ParseServer(string text, System.CommandLine.Parsing.ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        var name = result.Parent is System.CommandLine.Parsing.OptionResult option ? option.Option.Name : "--server";
        result.AddError($"{name}: '{text}' is not an http:// or https:// URL.");
        return null;
    }

    /// <summary>The environment variable that gives <c>--key</c>'s value when the option is not given.</summary>
    public const string KeyVariable = "BAKONG_KEY";

    /// <summary><c>--key</c>: the API key the call is made with, sent as <c>authorization: Bearer</c>.</summary>
    public static Option<string?> KeyOption() => new("--key")
    {
        Description = "The API key to call the gateway with (from 'bakong clients add'). Default: $" + KeyVariable
            + "; none is needed by a sandbox gateway on loopback. Prefer the variable: a command line is visible to other users.",
        HelpName = "key",
    };

    /// <summary>The key given with <paramref name="option"/>, else <c>$BAKONG_KEY</c>; null for none.</summary>
    public static string? KeyOf(ParseResult parseResult, Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var key = parseResult.GetValue(option);
        if (string.IsNullOrWhiteSpace(key))
        {
            key = CliVariables.Get(KeyVariable);
        }

        return string.IsNullOrWhiteSpace(key) ? null : key.Trim();
    }

    public static Option<bool> JsonOption(
        string description = "Write one JSON object per line (created, each change, the result) instead of text, for scripts.") => new("--json")
    {
        Description = description,
    };

    /// <summary>A channel to <paramref name="server"/>; every call carries <paramref name="key"/> when one is given.</summary>
    /// <param name="server">The gateway's gRPC endpoint.</param>
    /// <param name="key">The API key, or null for none.</param>
    /// <param name="connected">
    /// Told of each TCP connection the channel opens (<c>payments load --watchers</c> counts them: the channel opens
    /// another HTTP/2 connection whenever its connections carry as many streams as the gateway allows). Never told
    /// when a test routes the channel into an in-process gateway.
    /// </param>
    public static GrpcChannel Open(Uri server, string? key = null, Action? connected = null)
    {
        var handler = HttpHandler(connected);
        if (key is not null)
        {
            // A header on the HTTP request, not gRPC call credentials: those are refused on a plaintext channel, and a
            // gateway on loopback is plaintext.
            handler = new BearerKeyHandler(key) { InnerHandler = handler };
        }

        return GrpcChannel.ForAddress(server, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>
    /// The handler of every connection to the gateway, a channel's or a plain HTTP client's (the watch load's and the
    /// sandbox commands' calls to its sandbox): a test's in-process gateway, else the network with the TLS settings of
    /// the environment.
    /// </summary>
    /// <param name="connected">As <see cref="Open"/>'s.</param>
    public static HttpMessageHandler HttpHandler(Action? connected = null) => HandlerOverride.Value?.Invoke() ?? Network(connected);

    private static SocketsHttpHandler Network(Action? connected)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), EnableMultipleHttp2Connections = true };
        GatewayTls.Current.Value?.Apply(handler);
        if (connected is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                connected();
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        return handler;
    }

    private sealed class BearerKeyHandler(string key) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// Writes the one line that says why a call failed; returns the exit code: 1, or <see cref="ExitCodes.BadInput"/>
    /// (2) for a request the gateway refused (INVALID_ARGUMENT, ALREADY_EXISTS) when <paramref name="badRequestIsBadInput"/>.
    /// <c>pay</c> and <c>watch</c> pass false: their 2 means "the payment failed", so a script can tell a declined
    /// payment from a mistake in its own request.
    /// </summary>
    public static int ReportError(CliContext context, bool json, Uri server, RpcException error, bool badRequestIsBadInput = true)
    {
        var code = CodeName(error.StatusCode);
        var violations = FieldViolations(error);
        string line;
        if (TlsProblem(error, server) is { } tls)
        {
            line = tls;
        }
        else if (SpeaksNoHttp2(error))
        {
            line = $"error: gRPC is on the gateway's Grpc endpoint (default {DefaultServer}); {server.AbsoluteUri.TrimEnd('/')} did not answer gRPC "
                + "(it does not speak HTTP/2: the gateway's Web endpoint?)";
        }
        else if (error.StatusCode == StatusCode.Unavailable && error.Status.DebugException is not null)
        {
            line = $"error: cannot reach the gateway at {server} ({code}: {error.Status.DebugException.Message}). {StartHint}";
        }
        else if (violations.Count > 0)
        {
            line = code + ": " + string.Join("; ", violations.Select(v => v.Field + ": " + v.Description));
        }
        else if (error.StatusCode == StatusCode.Unauthenticated && error.Status.Detail.Contains("TLS client certificate", StringComparison.Ordinal))
        {
            // A valid key bound to a certificate (mutual TLS): the gateway's reason is the one to act on.
            line = code + ": " + error.Status.Detail;
        }
        else if (error.StatusCode == StatusCode.Unauthenticated)
        {
            // The gateway's message names the header; here the command's own ways of giving the key.
            line = code + ": the gateway needs an API key: give --key or set " + KeyVariable + " (a key from 'bakong clients add').";
        }
        else
        {
            line = code + ": " + error.Status.Detail;
        }

        context.Error.WriteLine(line);
        if (json)
        {
            var body = new System.Text.Json.Nodes.JsonObject
            {
                ["event"] = "error",
                ["code"] = code,
                ["message"] = line,
                ["fieldViolations"] = new System.Text.Json.Nodes.JsonArray(
                    violations.Select(v => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                    {
                        ["field"] = v.Field,
                        ["description"] = v.Description,
                    }).ToArray()),
            };
            context.Output.WriteLine(body.ToJsonString(PaymentText.JsonLine));
        }

        context.Output.Flush();
        context.Error.Flush();
        return badRequestIsBadInput && error.StatusCode is StatusCode.InvalidArgument or StatusCode.AlreadyExists
            ? ExitCodes.BadInput
            : PaymentExitCodes.Error;
    }

    /// <summary>
    /// The line for a call that failed in TLS: the gateway's certificate refused (the machine's trust store, or
    /// <see cref="GatewayTls.AuthorityVariable"/>), or the connection ended by the gateway in or right after the
    /// handshake, which is what a gateway that requires a client certificate does without one it accepts. Null when the
    /// failure is not TLS's.
    /// </summary>
    internal static string? TlsProblem(RpcException error, Uri server)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(server);
        if (server.Scheme != Uri.UriSchemeHttps)
        {
            return null;
        }

        var chain = new List<Exception>();
        for (var e = error.Status.DebugException; e is not null; e = e.InnerException)
        {
            chain.Add(e);
        }

        if (chain.Any(e => e is HttpRequestException { HttpRequestError: HttpRequestError.HttpProtocolError }))
        {
            return null; // an answer that is not HTTP/2 (SpeaksNoHttp2), after a TLS handshake that went well
        }

        var at = server.AbsoluteUri.TrimEnd('/');
        foreach (var e in chain)
        {
            if (e is System.Security.Authentication.AuthenticationException refused)
            {
                return refused.Message.Contains("remote certificate", StringComparison.Ordinal)
                    ? $"error: the gateway's TLS certificate at {at} was refused ({refused.Message}): it must name the host of --server "
                        + $"and chain to a CA this machine trusts or to one in {GatewayTls.AuthorityVariable} (a PEM file: the shop's own CA, "
                        + "or the gateway's self-signed certificate)."
                    : $"error: the TLS handshake with the gateway at {at} failed ({refused.Message}). If it requires a client "
                        + $"certificate, name yours in {GatewayTls.CertificateVariable} (its key in {GatewayTls.KeyVariable}).";
            }

            // SocketsHttpHandler says so on the request's exception or on the IOException inside it, depending on when
            // the gateway's close arrives.
            if (e is HttpRequestException or IOException && e.Message.Contains("HTTP/2 handshake", StringComparison.Ordinal))
            {
                return $"error: the gateway at {at} closed the connection after the TLS handshake, as a gateway does that "
                    + "requires a client certificate (Network:ClientCertificates=Require) and got none it accepts. Name yours in "
                    + $"{GatewayTls.CertificateVariable} (its key in {GatewayTls.KeyVariable}); if one is set, the gateway refused it (its CA or its dates).";
            }
        }

        return null;
    }

    /// <summary>
    /// Something answered at the address, but not in HTTP/2, which gRPC needs: the gateway's HTTP/1.1-only Web endpoint
    /// refuses the connection with HTTP_1_1_REQUIRED, any other HTTP/1.x server's reply is a protocol error.
    /// </summary>
    /// <remarks>
    /// When the server closes the connection before the client has read its HTTP/2 settings (a race: about one run in
    /// five against the Web endpoint), SocketsHttpHandler reports "did not complete the HTTP/2 handshake" as an
    /// <see cref="HttpRequestError.Unknown"/> error with no inner exception, and no more specific kind to test for.
    /// </remarks>
    internal static bool SpeaksNoHttp2(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        for (var e = error.Status.DebugException; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.HttpProtocolError }
                || e is HttpRequestException { HttpRequestError: HttpRequestError.Unknown, InnerException: null } unknown
                    && unknown.Message.Contains("HTTP/2 handshake", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>InvalidArgument</c> → <c>INVALID_ARGUMENT</c>, as gRPC spells its codes.</summary>
    public static string CodeName(StatusCode code)
    {
        var name = code.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                text.Append('_');
            }

            text.Append(char.ToUpperInvariant(name[i]));
        }

        return text.ToString();
    }

    /// <summary>
    /// The <c>google.rpc.BadRequest</c> field violations in the error's <c>grpc-status-details-bin</c> trailer, read
    /// off the wire format (google.rpc.Status.details = 3 of Any{type_url = 1, value = 2}; BadRequest.field_violations
    /// = 1 of {field = 1, description = 2}).
    /// </summary>
    public static IReadOnlyList<(string Field, string Description)> FieldViolations(RpcException error)
    {
        var result = new List<(string, string)>();
        var details = error.Trailers.GetValueBytes("grpc-status-details-bin");
        if (details is null)
        {
            return result;
        }

        try
        {
            foreach (var any in Fields(details, 3))
            {
                var typeUrl = Fields(any, 1).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? string.Empty;
                if (!typeUrl.EndsWith("/google.rpc.BadRequest", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var value in Fields(any, 2))
                {
                    foreach (var violation in Fields(value, 1))
                    {
                        var field = Fields(violation, 1).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? string.Empty;
                        var description = Fields(violation, 2).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? string.Empty;
                        result.Add((field, description));
                    }
                }
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // Details we cannot read: the status code and message still say what went wrong.
        }

        return result;
    }

    private static List<ByteString> Fields(ReadOnlySpan<byte> message, int number) => Fields(ByteString.CopyFrom(message), number);

    private static List<ByteString> Fields(ByteString message, int number)
    {
        var found = new List<ByteString>();
        var input = new CodedInputStream(message.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}
