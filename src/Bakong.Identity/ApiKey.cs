using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Bakong.Identity;

/// <summary>
/// The API key format: <c>bk_&lt;client id&gt;_&lt;secret&gt;</c>. The client id (12 characters of a 32-letter
/// alphabet) says whose key it is, so the store looks a key up by id and compares one hash; the secret is 256 random
/// bits in base64url (43 characters).
/// </summary>
/// <remarks>
/// A fast hash (SHA-256) is enough: the secret is random with far more entropy than a password, so no dictionary or
/// brute force reaches it, and a slow KDF would only make every request slower. The stored hash is compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time of a refusal says nothing of how much matched.
/// </remarks>
public static class ApiKey
{
    public const string Prefix = "bk_";

    public const int ClientIdLength = 12;

    private const int SecretBytes = 32;

    // base64url without padding of 32 bytes.
    private const int SecretLength = 43;

    /// <summary>Lower case letters and digits without 0/o, 1/l: ids are read aloud and typed.</summary>
    private const string IdAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    private static readonly SearchValues<char> s_idCharacters = SearchValues.Create(IdAlphabet);

    /// <summary>The length of every key.</summary>
    public const int Length = 3 + ClientIdLength + 1 + SecretLength;

    /// <summary>Whether <paramref name="clientId"/> has the form of a client id (without asking whether it exists).</summary>
    public static bool IsClientId(string? clientId) =>
        clientId is { Length: ClientIdLength } && !clientId.AsSpan().ContainsAnyExcept(s_idCharacters);

    /// <summary>
    /// Splits a key into its client id and secret; false for anything not of the key's form, without saying why (a
    /// refusal must not help guess).
    /// </summary>
    public static bool TryParse(string? key, out string clientId, out string secret)
    {
        clientId = string.Empty;
        secret = string.Empty;
        if (key is not { Length: Length } || !key.StartsWith(Prefix, StringComparison.Ordinal) || key[Prefix.Length + ClientIdLength] != '_')
        {
            return false;
        }

        var id = key.Substring(Prefix.Length, ClientIdLength);
        var rest = key.AsSpan(Prefix.Length + ClientIdLength + 1);
        if (!IsClientId(id) || !Base64Url.IsValid(rest, out var decodedLength) || decodedLength != SecretBytes)
        {
            return false;
        }

        clientId = id;
        secret = rest.ToString();
        return true;
    }

    internal static string NewClientId() => RandomNumberGenerator.GetString(IdAlphabet, ClientIdLength);

    /// <summary>A new secret for <paramref name="clientId"/>: the full key, and the hash the store keeps.</summary>
    internal static (string Key, byte[] Hash) New(string clientId)
    {
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        return (Prefix + clientId + "_" + secret, Hash(secret));
    }

    internal static byte[] Hash(string secret) => SHA256.HashData(Encoding.ASCII.GetBytes(secret));

    /// <summary>Whether <paramref name="secret"/> is the one whose hash is <paramref name="storedHash"/>, in constant time.</summary>
    internal static bool Matches(string secret, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);
}
