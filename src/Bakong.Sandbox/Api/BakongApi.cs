using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bakong.Sandbox.Transactions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Api;

/// <summary>The simulated <c>/v1/...</c> endpoints: faults first, then the token, then the body, as nginx and Bakong would.</summary>
internal static class BakongApi
{
    private const int MaxListItems = 50;
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static void Map(IEndpointRouteBuilder routes)
    {
        foreach (var endpoint in BakongEndpoint.All)
        {
            routes.MapPost("/v1/" + endpoint.Name, context => HandleAsync(context, endpoint))
                .WithName("BakongSandbox_" + endpoint.Name)
                .ExcludeFromDescription();
        }
    }

    private static async Task HandleAsync(HttpContext context, BakongEndpoint endpoint)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var logger = context.RequestServices.GetRequiredService<ILogger<SandboxState>>();
        var cancellationToken = context.RequestAborted;
        var faults = state.FaultInjector.Draw(endpoint);
        try
        {
            if (faults.Forbidden)
            {
                SandboxLog.FaultInjected(logger, "403", endpoint.Name);
                await WriteNginxPageAsync(context, HttpStatusCode.Forbidden, "403 Forbidden").ConfigureAwait(false);
                return;
            }

            if (faults.Latency > TimeSpan.Zero)
            {
                await state.Holds.HoldAsync(faults.Latency, cancellationToken).ConfigureAwait(false);
            }

            if (faults.Timeout)
            {
                SandboxLog.FaultInjected(logger, "timeout", endpoint.Name);
                await state.Holds.HoldAsync(state.Options.TimeoutHoldLimit, cancellationToken).ConfigureAwait(false);

                await WriteNginxPageAsync(context, HttpStatusCode.GatewayTimeout, "504 Gateway Time-out").ConfigureAwait(false);
                return;
            }

            if (faults.TooManyRequests)
            {
                SandboxLog.FaultInjected(logger, "429", endpoint.Name);
                await WriteNginxPageAsync(context, HttpStatusCode.TooManyRequests, "429 Too Many Requests").ConfigureAwait(false);
                return;
            }

            if (faults.ServerErrorStatus != 0)
            {
                SandboxLog.ServerErrorInjected(logger, faults.ServerErrorStatus, endpoint.Name);
                var status = (HttpStatusCode)faults.ServerErrorStatus;
                await WriteNginxPageAsync(context, status, $"{faults.ServerErrorStatus} {ReasonPhrases.GetReasonPhrase(faults.ServerErrorStatus)}").ConfigureAwait(false);
                return;
            }

            BakongEnvelope envelope;
            HttpStatusCode httpStatus;
            if (endpoint.RequiresToken && !state.Tokens.IsValid(BearerToken(context.Request)))
            {
                (envelope, httpStatus) = (BakongEnvelope.Error(BakongError.Unauthorized), BakongError.Unauthorized.Status);
            }
            else
            {
                (envelope, httpStatus) = await ExecuteAsync(context, state, endpoint, cancellationToken).ConfigureAwait(false);
            }

            if (faults.Malformed)
            {
                SandboxLog.FaultInjected(logger, "malformed JSON", endpoint.Name);
            }

            await WriteEnvelopeAsync(context, httpStatus, envelope, faults.Malformed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client gave up: nobody is left to answer.
        }
    }

    private static async Task<(BakongEnvelope Envelope, HttpStatusCode Status)> ExecuteAsync(
        HttpContext context, SandboxState state, BakongEndpoint endpoint, CancellationToken cancellationToken)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, cancellationToken).ConfigureAwait(false);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Fail(BakongError.MissingFields);
        }

        state.CallLog.Record(endpoint.Name, endpoint.Kind is BakongEndpointKind.Md5List or BakongEndpointKind.HashList ? ListKeys(body) : null);
        return endpoint.Kind switch
        {
            BakongEndpointKind.RequestToken => state.Tokens.Request(Text(body, "email"), Text(body, "organization"), Text(body, "project")) is { } error
                ? Fail(error)
                : Ok(BakongMessages.EmailSent, null),
            BakongEndpointKind.Verify => TokenAnswer(state.Tokens.Verify(Text(body, "code"))),
            BakongEndpointKind.RenewToken => TokenAnswer(state.Tokens.Renew(Text(body, "email"))),
            BakongEndpointKind.Deeplink => Deeplink(state, body),
            BakongEndpointKind.Md5 => Text(body, "md5") is { } md5 ? Single(state.Ledger.FindByMd5(md5)) : Fail(BakongError.MissingFields),
            BakongEndpointKind.Hash => Text(body, "hash") is { } hash ? Single(state.Ledger.FindByHash(hash)) : Fail(BakongError.MissingFields),
            BakongEndpointKind.ShortHash => ShortHash(state.Ledger, body),
            BakongEndpointKind.InstructionRef => Text(body, "instructionRef") is { } instructionRef
                ? Single(state.Ledger.FindByInstructionRef(instructionRef))
                : Fail(BakongError.MissingFields),
            BakongEndpointKind.ExternalRef => Text(body, "externalRef") is { } externalRef
                ? Single(state.Ledger.FindByExternalRef(externalRef))
                : Fail(BakongError.MissingFields),
            BakongEndpointKind.Md5List => List(body, key => new Md5ListItem(key, state.Ledger.FindByMd5(key))),
            BakongEndpointKind.HashList => List(body, key => new HashListItem(key, state.Ledger.FindByHash(key))),
            BakongEndpointKind.Account => Text(body, "accountId") is { } accountId
                ? state.Accounts.Check(accountId) is { } accountError ? Fail(accountError) : Ok(BakongMessages.AccountExists, null)
                : Fail(BakongError.MissingFields),
            _ => throw new InvalidOperationException("unmapped endpoint " + endpoint.Name),
        };
    }

    private static (BakongEnvelope, HttpStatusCode) Ok(string message, object? data) => (BakongEnvelope.Success(message, data), HttpStatusCode.OK);

    private static (BakongEnvelope, HttpStatusCode) Fail(BakongError error) => (BakongEnvelope.Error(error), error.Status);

    private static (BakongEnvelope, HttpStatusCode) TokenAnswer((SandboxIssuedToken? Token, BakongError? Error) result) =>
        result.Error is { } error ? Fail(error) : Ok(BakongMessages.TokenIssued, new TokenData(result.Token!.Token));

    private static (BakongEnvelope, HttpStatusCode) Single(LedgerLookup found) => found.Status switch
    {
        LookupStatus.Success => Ok(BakongMessages.TransactionOk, found.Transaction),
        LookupStatus.StaticQr => Fail(BakongError.StaticQr),
        LookupStatus.Failed => Fail(BakongError.TransactionFailed),
        _ => Fail(BakongError.NotFound),
    };

    private static (BakongEnvelope, HttpStatusCode) Deeplink(SandboxState state, JsonElement body)
    {
        if (Text(body, "qr") is not { } qr)
        {
            return Fail(BakongError.MissingFields);
        }

        // sourceInfo is optional, but when present all three fields are required.
        if (body.TryGetProperty("sourceInfo", out var source) && source.ValueKind != JsonValueKind.Null
            && (Text(source, "appIconUrl") is null || Text(source, "appName") is null || Text(source, "appDeepLinkCallback") is null))
        {
            return Fail(BakongError.MissingFields);
        }

        return state.Faults.DeeplinkProviderError
            ? Fail(BakongError.DeeplinkProvider)
            : Ok(BakongMessages.DeeplinkOk, new DeeplinkData(ShortLink(state.Options.DeeplinkBaseUrl, qr)));
    }

    private static (BakongEnvelope, HttpStatusCode) ShortHash(SandboxLedger ledger, JsonElement body)
    {
        var hash = Text(body, "hash");
        var currency = Text(body, "currency");
        if (hash is not { Length: 8 } || currency is null || !TryGetAmount(body, out var amount))
        {
            return Fail(BakongError.MissingFields);
        }

        return Single(ledger.FindByShortHash(hash, amount, currency));
    }

    // Deterministic per QR (the real ones differ per call): 17 alphanumerics drawn from the payload's SHA-256.
    private static string ShortLink(string baseUrl, string qr)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(qr), digest);
        Span<char> link = stackalloc char[17];
        for (var i = 0; i < link.Length; i++)
        {
            link[i] = Alphanumerics[digest[i] % Alphanumerics.Length];
        }

        return baseUrl + new string(link);
    }

    private static (BakongEnvelope, HttpStatusCode) List(JsonElement body, Func<string, object> check)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            return Fail(BakongError.MissingFields);
        }

        if (body.GetArrayLength() > MaxListItems)
        {
            return Fail(BakongError.TooManyItems);
        }

        var items = new List<object>(body.GetArrayLength());
        foreach (var element in body.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } key)
            {
                return Fail(BakongError.MissingFields);
            }

            items.Add(check(key));
        }

        return Ok(BakongMessages.TransactionOk, items);
    }

    /// <summary>The strings of a list request, for the call log (at most the list limit and one: a longer list is refused anyway).</summary>
    private static string[]? ListKeys(JsonElement body) =>
        body.ValueKind == JsonValueKind.Array
            ? [.. body.EnumerateArray().Take(MaxListItems + 1).Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "")]
            : null;

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static bool TryGetAmount(JsonElement body, out decimal amount)
    {
        amount = 0;
        if (!body.TryGetProperty("amount", out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDecimal(out amount),
            JsonValueKind.String => decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount),
            _ => false,
        };
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
    }

    private static async Task WriteEnvelopeAsync(HttpContext context, HttpStatusCode status, BakongEnvelope envelope, bool malformed)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, SandboxJson.Options);
        if (malformed)
        {
            // Cut mid-document: what a proxy that dropped the connection, or a broken upstream, hands over.
            json = json[..(json.Length / 2)];
        }

        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = json.Length;
        await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteNginxPageAsync(HttpContext context, HttpStatusCode status, string title)
    {
        var html = Encoding.ASCII.GetBytes(
            $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "text/html";
        context.Response.ContentLength = html.Length;
        context.Response.Headers.Server = "nginx";
        await context.Response.Body.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record TokenData(string Token);

    private sealed record DeeplinkData(string ShortLink);

    private sealed record Md5ListItem(string Md5, string Status, string Message, SandboxTransaction? Data)
    {
        public Md5ListItem(string md5, LedgerLookup found)
            : this(md5, ListStatus(found.Status), ListMessage(found.Status), found.Transaction)
        {
        }
    }

    private sealed record HashListItem(string Hash, string Status, string Message, SandboxTransaction? Data)
    {
        public HashListItem(string hash, LedgerLookup found)
            : this(hash, ListStatus(found.Status), ListMessage(found.Status), found.Transaction)
        {
        }
    }

    private static string ListStatus(LookupStatus status) => status switch
    {
        LookupStatus.Success => "SUCCESS",
        LookupStatus.StaticQr => "STATIC_QR",
        LookupStatus.Failed => "FAILED",
        _ => "NOT_FOUND",
    };

    private static string ListMessage(LookupStatus status) => status switch
    {
        LookupStatus.Success => BakongMessages.TransactionOk,
        LookupStatus.StaticQr => BakongError.StaticQr.Message,
        LookupStatus.Failed => BakongError.TransactionFailed.Message,
        _ => BakongError.NotFound.Message,
    };
}
