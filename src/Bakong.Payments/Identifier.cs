using System.Buffers;
using System.Globalization;

namespace Bakong.Payments;

/// <summary>
/// The rule of every identifier a client gives or names a payment by (<c>request_id</c>, <c>terminal_id</c>,
/// <c>payment_id</c>): 1 to its <see cref="PaymentLimits"/> length, only the characters of <see cref="Alphabet"/>. An
/// identifier that passes is safe to store, to log and to echo in an error; one that does not is never echoed (the
/// violation says what is wrong, not what was sent).
/// </summary>
public static class Identifier
{
    /// <summary>The characters an identifier may hold, as the proto comments quote them.</summary>
    public const string Alphabet = "A-Z a-z 0-9 - _ . :";

    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    /// <summary>What is wrong with <paramref name="value"/> as an identifier named <paramref name="field"/>; null when nothing is.</summary>
    public static FieldViolation? Check(string? value, string field, int maxLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (string.IsNullOrEmpty(value))
        {
            return new FieldViolation(field, "required");
        }

        if (value.Length > maxLength)
        {
            return new FieldViolation(field, string.Create(CultureInfo.InvariantCulture, $"{value.Length} characters, at most {maxLength}"));
        }

        // Character by character, not a ^...$ regex: its $ also matches before a final line break.
        return value.AsSpan().ContainsAnyExcept(s_allowed) ? new FieldViolation(field, "only the characters " + Alphabet + " are allowed") : null;
    }
}
