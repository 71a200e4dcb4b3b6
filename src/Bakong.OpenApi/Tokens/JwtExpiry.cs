using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Bakong.OpenApi.Tokens;

/// <summary>Reads the <c>exp</c> claim of a JWT without validating it: only Bakong can check the signature.</summary>
internal static class JwtExpiry
{
    // Bakong's payloads are ~80 bytes; anything far larger is not a Bakong token and not worth decoding.
    private const int MaxPayloadChars = 4096;

    /// <summary>The expiry, or null when the value is not a JWT or carries no numeric <c>exp</c>.</summary>
    public static DateTimeOffset? Read(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var span = token.AsSpan().Trim();
        var firstDot = span.IndexOf('.');
        if (firstDot <= 0)
        {
            return null;
        }

        var rest = span[(firstDot + 1)..];
        var secondDot = rest.IndexOf('.');
        if (secondDot <= 0 || secondDot > MaxPayloadChars || rest[(secondDot + 1)..].Contains('.'))
        {
            return null;
        }

        var payload = rest[..secondDot];
        var buffer = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(payload.Length));
        try
        {
            if (Base64Url.DecodeFromChars(payload, buffer, out _, out var written) != OperationStatus.Done)
            {
                return null;
            }

            return ReadExp(buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private static DateTimeOffset? ReadExp(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isExp = reader.ValueTextEquals("exp"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isExp)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var seconds)
                        && seconds is > 0 and < 253_402_300_799
                        ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
                        : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
