using System.Security.Cryptography;
using System.Text;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Encrypts the token at rest with AES-256-GCM under a 32-byte key kept in a file (beside the database unless
/// <c>Bakong:Tokens:KeyPath</c> puts it elsewhere), created owner-read/write only (0600).
/// </summary>
/// <remarks>
/// Why not ASP.NET Core Data Protection: on Linux without a certificate or a KMS it writes its key ring as plain XML
/// (with a startup warning) and rotates keys every 90 days, so it adds moving parts without protecting the key any
/// better than a 0600 file. One key file, one AEAD call, is easy to reason about, to back up with the database, and
/// to delete to revoke. The environment is bound as associated data, so a ciphertext cannot be moved to another
/// environment's row.
/// </remarks>
internal sealed class TokenCipher
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] _key;

    private TokenCipher(byte[] key) => _key = key;

    /// <summary>Loads the key file, creating it (0600) with a fresh random key when it does not exist.</summary>
    public static TokenCipher OpenOrCreate(string keyPath)
    {
        if (File.Exists(keyPath))
        {
            return new TokenCipher(ReadKey(keyPath));
        }

        var key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            WriteNew(keyPath, key);
            return new TokenCipher(key);
        }
        catch (IOException) when (File.Exists(keyPath))
        {
            // Another process created it between the check and the create: use theirs.
            return new TokenCipher(ReadKey(keyPath));
        }
    }

    /// <summary>
    /// A fresh random key written to <paramref name="keyPath"/> (which must not exist), 0600 and flushed to disk before
    /// it is returned: a rotation renames it over the live key file only once its bytes are durable.
    /// </summary>
    public static TokenCipher CreateAt(string keyPath)
    {
        var key = RandomNumberGenerator.GetBytes(KeySize);
        WriteNew(keyPath, key);
        return new TokenCipher(key);
    }

    /// <summary>Copies this key to a new file <paramref name="keyPath"/> (0600), e.g. the old key a rotation keeps.</summary>
    public void SaveCopy(string keyPath) => WriteNew(keyPath, _key);

    private static void WriteNew(string keyPath, byte[] key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(keyPath, options);
        stream.Write(key);
        stream.Flush(flushToDisk: true);
    }

    public byte[] Encrypt(string token, string associatedData)
    {
        var plain = Encoding.UTF8.GetBytes(token);
        var output = new byte[NonceSize + TagSize + plain.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key, TagSize))
        {
            aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(associatedData));
        }

        CryptographicOperations.ZeroMemory(plain);
        return output;
    }

    /// <summary>The token, or null when the ciphertext is damaged or was written under another key.</summary>
    public string? Decrypt(byte[] sealedToken, string associatedData)
    {
        if (sealedToken is null || sealedToken.Length < NonceSize + TagSize)
        {
            return null;
        }

        var plain = new byte[sealedToken.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(
                sealedToken.AsSpan(0, NonceSize),
                sealedToken.AsSpan(NonceSize + TagSize),
                sealedToken.AsSpan(NonceSize, TagSize),
                plain,
                Encoding.UTF8.GetBytes(associatedData));
            return Encoding.UTF8.GetString(plain);
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] ReadKey(string keyPath)
    {
        var key = File.ReadAllBytes(keyPath);
        return key.Length == KeySize
            ? key
            : throw new InvalidDataException($"The token key file '{keyPath}' is not a {KeySize}-byte key; restore it or delete it and set the token again.");
    }
}
