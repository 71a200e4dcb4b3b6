using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakong.OpenApi.Client;

/// <summary>The envelope every Bakong answer has (NBC's Open API document); <see cref="Data"/> is parsed per endpoint.</summary>
internal sealed record BakongEnvelope(int ResponseCode, string? ResponseMessage, int? ErrorCode, JsonElement? Data);

internal sealed record Md5Body(string Md5);

internal sealed record HashBody(string Hash);

internal sealed record ShortHashBody(string Hash, decimal Amount, string Currency);

internal sealed record InstructionRefBody(string InstructionRef);

internal sealed record ExternalRefBody(string ExternalRef);

internal sealed record DeeplinkBody(string Qr, DeeplinkSourceInfoBody? SourceInfo);

internal sealed record DeeplinkSourceInfoBody(string AppIconUrl, string AppName, string AppDeepLinkCallback);

internal sealed record AccountBody(string AccountId);

internal sealed record RequestTokenBody(string Email, string Organization, string Project);

internal sealed record VerifyBody(string Code);

internal sealed record RenewTokenBody(string Email);

internal sealed class EnvelopeDto
{
    public int? ResponseCode { get; set; }

    public string? ResponseMessage { get; set; }

    public int? ErrorCode { get; set; }

    public JsonElement? Data { get; set; }
}

internal sealed class ListItemDto
{
    public string? Md5 { get; set; }

    public string? Hash { get; set; }

    public string? Status { get; set; }

    public string? Message { get; set; }

    public JsonElement? Data { get; set; }

    public JsonElement? Transaction { get; set; }
}

internal sealed class ShortLinkDto
{
    public string? ShortLink { get; set; }
}

internal sealed class TokenDto
{
    public string? Token { get; set; }
}

internal sealed class AccountDto
{
    public string? AccountStatus { get; set; }

    public bool? CanReceive { get; set; }

    public bool? Frozen { get; set; }

    public string? KycStatus { get; set; }
}

// Names are case-sensitive camelCase as Bakong sends them; unknown members are skipped (the default); numbers may
// arrive as strings (the v1.0.2 table calls amount a "String" even though every sample sends a number).
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EnvelopeDto))]
[JsonSerializable(typeof(ListItemDto))]
[JsonSerializable(typeof(BakongTransaction))]
[JsonSerializable(typeof(ShortLinkDto))]
[JsonSerializable(typeof(TokenDto))]
[JsonSerializable(typeof(AccountDto))]
[JsonSerializable(typeof(Md5Body))]
[JsonSerializable(typeof(HashBody))]
[JsonSerializable(typeof(ShortHashBody))]
[JsonSerializable(typeof(InstructionRefBody))]
[JsonSerializable(typeof(ExternalRefBody))]
[JsonSerializable(typeof(DeeplinkBody))]
[JsonSerializable(typeof(AccountBody))]
[JsonSerializable(typeof(RequestTokenBody))]
[JsonSerializable(typeof(VerifyBody))]
[JsonSerializable(typeof(RenewTokenBody))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class BakongJsonContext : JsonSerializerContext
{
    /// <summary>
    /// For request bodies: characters such as <c>+</c> and Khmer text in a KHQR go out as themselves, not as
    /// <c>\u002B</c> escapes — equivalent JSON, but what was sent is what the audit and a packet capture show.
    /// </summary>
    public static BakongJsonContext Requests { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>Defensive readers for Bakong's JSON: anything unexpected is null, never an exception.</summary>
internal static class BakongJson
{
    /// <summary>The envelope, or null when the body is not a JSON object with an integer <c>responseCode</c>.</summary>
    public static BakongEnvelope? TryReadEnvelope(string body)
    {
        var start = body.AsSpan().TrimStart();
        if (start.IsEmpty || start[0] != '{')
        {
            return null;
        }

        try
        {
            var dto = JsonSerializer.Deserialize(body, BakongJsonContext.Default.EnvelopeDto);
            if (dto?.ResponseCode is not { } responseCode)
            {
                return null;
            }

            var data = dto.Data is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } d ? d : (JsonElement?)null;
            return new BakongEnvelope(responseCode, dto.ResponseMessage, dto.ErrorCode, data);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A transaction object, or null when it lacks hash, currency or amount or has a field of the wrong type.</summary>
    public static BakongTransaction? TryReadTransaction(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        try
        {
            var transaction = element.Deserialize(BakongJsonContext.Default.BakongTransaction);
            return transaction is { Hash.Length: > 0, Currency.Length: > 0 } ? transaction : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static T? TryRead<T>(JsonElement? element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (element is not { ValueKind: JsonValueKind.Object } e)
        {
            return null;
        }

        try
        {
            return e.Deserialize(typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
