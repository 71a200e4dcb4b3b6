using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bakong.Payments.Watching;

/// <summary>
/// Where a <c>WatchTerminal</c> stream stands: the change feed's run (<see cref="Epoch"/>, new at every gateway start)
/// and the sequence number of the last change a client has, bound to one terminal (or, for <c>WatchPayments</c>, to
/// every terminal). Sent to clients as an opaque string (<see cref="Format"/>) of at most <see cref="MaxLength"/>
/// characters.
/// </summary>
/// <remarks>
/// The terminal's tag is a short hash of its id (every terminal's: of the empty string, which no terminal id is), so a
/// cursor handed to another stream is refused instead of being taken as a position in that stream's changes. A cursor
/// carries nothing secret: it says no more than how many changes the gateway has published since it started.
/// </remarks>
public readonly record struct TerminalCursor(ulong Epoch, long Sequence, uint TerminalTag)
{
    /// <summary>The longest cursor a client may send back (the proto's <c>cursor</c> field quotes it).</summary>
    public const int MaxLength = 64;

    private const string Prefix = "t1.";

    public string Format() => string.Create(
        CultureInfo.InvariantCulture, $"{Prefix}{Epoch:x16}.{Sequence:x}.{TerminalTag:x8}");

    /// <summary>The tag of <paramref name="terminalId"/> (null: every terminal): the first four bytes of its SHA-256.</summary>
    public static uint TagOf(string? terminalId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(terminalId ?? ""), hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    /// <summary>
    /// Reads a cursor <see cref="Format"/> wrote, for <paramref name="terminalId"/> (null: every terminal); otherwise the
    /// violation, naming <c>cursor</c>. It never echoes the text: it comes from a client and may be anything.
    /// </summary>
    public static FieldViolation? TryParse(string text, string? terminalId, out TerminalCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(text);
        cursor = default;
        var parts = text.Length <= MaxLength && text.StartsWith(Prefix, StringComparison.Ordinal)
            ? text[Prefix.Length..].Split('.')
            : [];
        if (parts.Length != 3
            || !ulong.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var epoch)
            || !long.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var sequence)
            || sequence < 0
            || !uint.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tag))
        {
            return new FieldViolation("cursor", "not a cursor this gateway issued: send back a cursor the stream sent, unchanged, or none");
        }

        if (tag != TagOf(terminalId))
        {
            return new FieldViolation("cursor", terminalId is null
                ? "issued for one terminal's stream (WatchTerminal), not for every terminal's"
                : "issued for another stream (another terminal's, or every terminal's)");
        }

        cursor = new TerminalCursor(epoch, sequence, tag);
        return null;
    }
}
