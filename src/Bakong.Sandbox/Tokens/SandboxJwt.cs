using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bakong.Sandbox.Tokens;

/// <summary>
/// HS256 JWTs shaped like Bakong's: header <c>{"alg":"HS256","typ":"JWT"}</c>, payload
/// <c>{"data":{"id":"…"},"iat":…,"exp":…}</c> with seconds since the epoch.
/// </summary>
internal sealed class SandboxJwt(byte[] secret)
{
    private static readonly string s_header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);

    private readonly byte[] _secret = secret;

    public string Create(string id, long issuedAtSeconds, long expiresAtSeconds)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new JwtPayload(new JwtData(id), issuedAtSeconds, expiresAtSeconds), SandboxJson.Options);
        var signingInput = s_header + "." + Base64Url.EncodeToString(payload);
        return signingInput + "." + Base64Url.EncodeToString(Sign(signingInput));
    }

    /// <summary>Checks the signature and reads the payload; says nothing about expiry.</summary>
    public bool TryRead(string? token, out string id, out long expiresAtSeconds)
    {
        id = string.Empty;
        expiresAtSeconds = 0;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !string.Equals(parts[0], s_header, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (!CryptographicOperations.FixedTimeEquals(signature, Sign(parts[0] + "." + parts[1])))
            {
                return false;
            }

            var payload = JsonSerializer.Deserialize<JwtPayload>(Base64Url.DecodeFromChars(parts[1]), SandboxJson.Options);
            if (payload?.Data?.Id is not { Length: > 0 } tokenId)
            {
                return false;
            }

            id = tokenId;
            expiresAtSeconds = payload.Exp;
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] Sign(string signingInput) => HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(signingInput));

    private sealed record JwtPayload(JwtData? Data, long Iat, long Exp);

    private sealed record JwtData(string? Id);
}
