using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bakong.Sandbox;
using Microsoft.Extensions.Logging;

namespace Bakong.Cli.Sandbox;

/// <summary>
/// <c>bakong sandbox serve|pay|fail|faults</c>: run the simulated Bakong, and play the customer and the network
/// against one that is running (standalone, or inside the gateway under <c>/sandbox</c>).
/// </summary>
internal sealed class SandboxCommand : Command
{
    /// <summary>
    /// The gateway's in-process sandbox (docs/cli.md, 'bakong sandbox'); a standalone one is at http://127.0.0.1:PORT.
    /// </summary>
    public const string DefaultUrl = "http://127.0.0.1:5081/sandbox";

    public SandboxCommand(CliContext context)
        : base("sandbox", "Run the simulated Bakong Open API, make the customer pay or fail a QR, inject faults.")
    {
        Subcommands.Add(Serve(context));
        Subcommands.Add(Pay(context));
        Subcommands.Add(Fail(context));
        Subcommands.Add(Transfer(context));
        Subcommands.Add(Faults(context));
    }

    /// <summary>
    /// Whether <paramref name="command"/> calls a running sandbox (<c>--url</c>): on <c>https://</c> that is the
    /// gateway's Web endpoint, reached with the TLS settings of the environment (docs/cli.md, 'TLS').
    /// </summary>
    public static bool CallsASandbox(System.CommandLine.Parsing.CommandResult command) =>
        command.Parent is System.CommandLine.Parsing.CommandResult { Command: SandboxCommand }
        && command.Command.Options.Any(o => o.Name == "--url");

    private static Command Serve(CliContext context)
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 5082 };
        var seed = new Option<int?>("--seed") { Description = "Seed of the sandbox's randomness (fault rates, ids); runs repeat." };
        var command = new Command("serve", "Run the simulated Bakong on 127.0.0.1 until Ctrl-C; prints its URL.") { port, seed };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var chosenSeed = parseResult.GetValue(seed);
            await using var server = await SandboxServer.StartAsync(
                parseResult.GetValue(port),
                context.TimeProvider,
                options =>
                {
                    if (chosenSeed is { } s)
                    {
                        options.Seed = s;
                    }
                },
                logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information),
                cancellationToken).ConfigureAwait(false);
            var url = server.BaseUrl.ToString().TrimEnd('/');
            await context.Output.WriteLineAsync($"Bakong sandbox at {url} (API {url}/v1/..., control {url}/control/...)".AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"Try: bakong sandbox pay --url {url} --qr <payload>; Ctrl-C stops it.".AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            // Ctrl-C or SIGTERM: caught here on the real console (the web host's own handler would stop the server
            // but leave this command waiting), or the invocation's cancellation in tests.
            using var interrupt = new Interrupt(context, cancellationToken);
            try
            {
                await server.WaitForShutdownAsync(interrupt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The normal way to stop.
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Pay(CliContext context)
    {
        var (md5, qr, url) = Target();
        var amount = new Option<decimal?>("--amount")
        {
            Description = "Pay this amount instead of the QR's (a wrong amount, on purpose), e.g. 12.50.",
            CustomParser = AmountText.Parse,
        };
        var currency = new Option<string?>("--currency") { Description = "Pay in this currency (USD or KHR) instead of the QR's." };
        var delay = new Option<int?>("--delay-ms") { Description = "Bakong acknowledges the payment this many milliseconds later." };
        var force = new Option<bool>("--force") { Description = "Pay even if the QR has expired (a bank app would refuse)." };
        var command = new Command("pay", "The customer pays a QR: its md5 checks answer SUCCESS from now on.") { md5, qr, amount, currency, delay, force, url };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var body = new SandboxPayRequest
            {
                Md5 = parseResult.GetValue(md5),
                Qr = parseResult.GetValue(qr),
                Amount = parseResult.GetValue(amount),
                Currency = parseResult.GetValue(currency),
                DelayMs = parseResult.GetValue(delay),
                Force = parseResult.GetValue(force),
            };
            return Send(context, HttpMethod.Post, parseResult.GetValue(url)!, "control/pay", body, cancellationToken);
        });
        command.Validators.Add(result => RequireOne(result, md5, qr));
        return command;
    }

    private static Command Fail(CliContext context)
    {
        var (md5, qr, url) = Target();
        var command = new Command("fail", "The customer's payment of a QR fails: its md5 checks answer errorCode 3.") { md5, qr, url };
        command.SetAction((parseResult, cancellationToken) => Send(
            context,
            HttpMethod.Post,
            parseResult.GetValue(url)!,
            "control/fail",
            new SandboxFailRequest { Md5 = parseResult.GetValue(md5), Qr = parseResult.GetValue(qr) },
            cancellationToken));
        command.Validators.Add(result => RequireOne(result, md5, qr));
        return command;
    }

    private static Command Transfer(CliContext context)
    {
        var from = new Option<string>("--from") { Description = "The sending account, e.g. the merchant's for a refund.", Required = true };
        var to = new Option<string>("--to") { Description = "The receiving account, e.g. the payer's for a refund.", Required = true };
        var amount = new Option<decimal?>("--amount") { Description = "The amount, e.g. 12.50.", Required = true, CustomParser = AmountText.Parse };
        var currency = new Option<string>("--currency") { Description = "USD or KHR.", Required = true };
        var url = UrlOption();
        var command = new Command("transfer", "Send money between two accounts without a QR (a refund); prints the transaction with its hash.") { from, to, amount, currency, url };
        command.SetAction((parseResult, cancellationToken) => Send(
            context,
            HttpMethod.Post,
            parseResult.GetValue(url)!,
            "control/transfers",
            new SandboxTransferRequest
            {
                FromAccountId = parseResult.GetValue(from),
                ToAccountId = parseResult.GetValue(to),
                Amount = parseResult.GetValue(amount),
                Currency = parseResult.GetValue(currency),
            },
            cancellationToken));
        return command;
    }

    private static Command Faults(CliContext context)
    {
        var url = UrlOption();
        var latency = new Option<int>("--latency-ms") { Description = "Delay every API answer by this many milliseconds." };
        var serverErrors = new Option<double>("--server-error-rate") { Description = "Share of API calls answered 500 (0 to 1)." };
        var tooMany = new Option<double>("--too-many-requests-rate") { Description = "Share of API calls answered 429 (0 to 1)." };
        var timeouts = new Option<double>("--timeout-rate") { Description = "Share of API calls never answered, until the client gives up (0 to 1)." };
        var malformed = new Option<double>("--malformed-json-rate") { Description = "Share of API answers cut in half (0 to 1)." };
        var listForbidden = new Option<bool>("--md5-list-forbidden") { Description = "Answer the md5 list endpoint with nginx's 403 HTML." };
        var geoBlocked = new Option<bool>("--geo-blocked") { Description = "Answer every API call with nginx's 403 HTML, as Bakong does outside Cambodia." };
        var expireTokens = new Option<bool>("--expire-tokens") { Description = "Expire every token issued so far." };
        var seed = new Option<int?>("--seed") { Description = "Re-seed the randomness behind the rates." };
        var clear = new Option<bool>("--clear") { Description = "Remove every fault." };
        var command = new Command(
            "faults",
            "Show the sandbox's faults, or set exactly the ones given (the rest are cleared).")
        {
            latency, serverErrors, tooMany, timeouts, malformed, listForbidden, geoBlocked, expireTokens, seed, clear, url,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var target = parseResult.GetValue(url)!;
            if (parseResult.GetValue(clear))
            {
                return Send(context, HttpMethod.Delete, target, "control/faults", null, cancellationToken);
            }

            Option[] setters = [latency, serverErrors, tooMany, timeouts, malformed, listForbidden, geoBlocked, expireTokens, seed];
            if (!setters.Any(o => parseResult.GetResult(o) is { Implicit: false }))
            {
                return Send(context, HttpMethod.Get, target, "control/faults", null, cancellationToken);
            }

            var body = new JsonObject
            {
                ["latencyMs"] = parseResult.GetValue(latency),
                ["serverErrorRate"] = parseResult.GetValue(serverErrors),
                ["tooManyRequestsRate"] = parseResult.GetValue(tooMany),
                ["timeoutRate"] = parseResult.GetValue(timeouts),
                ["malformedJsonRate"] = parseResult.GetValue(malformed),
                ["md5ListForbidden"] = parseResult.GetValue(listForbidden),
                ["geoBlocked"] = parseResult.GetValue(geoBlocked),
                ["expireAllTokensNow"] = parseResult.GetValue(expireTokens),
                ["seed"] = parseResult.GetValue(seed),
            };
            return Send(context, HttpMethod.Put, target, "control/faults", body, cancellationToken);
        });
        return command;
    }

    private static (Option<string?> Md5, Option<string?> Qr, Option<string> Url) Target() =>
        (new Option<string?>("--md5") { Description = "The QR's md5 (the sandbox must know the QR, or be told --amount and --currency)." },
         new Option<string?>("--qr") { Description = "The QR payload; amount, currency and receiver are read from it." },
         UrlOption());

    private static Option<string> UrlOption() => new("--url")
    {
        Description = "The sandbox: standalone http://127.0.0.1:PORT, or the gateway's " + DefaultUrl + ".",
        DefaultValueFactory = _ => DefaultUrl,
    };

    private static void RequireOne(System.CommandLine.Parsing.CommandResult result, Option<string?> md5, Option<string?> qr)
    {
        if ((result.GetValue(md5) is null) == (result.GetValue(qr) is null))
        {
            result.AddError("Give exactly one of --md5 and --qr.");
        }
    }

    // One control call; prints the sandbox's JSON answer. A refused call or an error answer is exit code 1.
    private static async Task<int> Send(CliContext context, HttpMethod method, string baseUrl, string path, object? body, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(Payments.GatewayClient.HttpHandler()) { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: s_json) };
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await context.Error.WriteLineAsync($"sandbox answered {(int)response.StatusCode}: {Problem(text)}".AsMemory(), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Invalid;
            }

            await context.Output.WriteLineAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (HttpRequestException e) when (TlsRefused(e) is { } refused)
        {
            var line = $"the TLS handshake with the sandbox at {baseUrl} failed ({refused.Message}): the gateway's certificate must name the host "
                + $"of --url and chain to a CA this machine trusts or to one in {Payments.GatewayTls.AuthorityVariable}; if the gateway requires client "
                + $"certificates, name yours in {Payments.GatewayTls.CertificateVariable} (its key in {Payments.GatewayTls.KeyVariable})";
            await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Invalid;
        }
        catch (HttpRequestException e)
        {
            // With Require, the gateway ends the connection right after a handshake that brought no certificate.
            var line = http.BaseAddress.Scheme == Uri.UriSchemeHttps && e.HttpRequestError == HttpRequestError.ResponseEnded
                ? $"no sandbox at {baseUrl} ({e.Message}): a gateway that requires client certificates ends the connection without one it "
                    + $"accepts; name yours in {Payments.GatewayTls.CertificateVariable} (its key in {Payments.GatewayTls.KeyVariable})"
                : $"no sandbox at {baseUrl} ({e.Message}); start one with 'bakong sandbox serve' or run the gateway in Sandbox mode";
            await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Invalid;
        }
    }

    private static System.Security.Authentication.AuthenticationException? TlsRefused(Exception error)
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException refused)
            {
                return refused;
            }
        }

        return null;
    }

    // ASP.NET's problem details carry the reason in "detail".
    private static string Problem(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
