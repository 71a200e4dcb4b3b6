using Bakong.Khqr;

namespace Bakong.Cli.Khqr;

/// <summary>Writes a <see cref="KhqrError"/> as one line that names the command-line flag the user can fix.</summary>
internal static class ErrorLine
{
    /// <summary><c>--name (merchantName): Merchant Name Length is invalid (KHQR error 7): 26 characters, at most 25</c>.</summary>
    public static string For(KhqrError error, string? flag)
    {
        ArgumentNullException.ThrowIfNull(error);
        var line = error.ToString();
        if (flag is null || error.Field is not { } field)
        {
            return line;
        }

        var prefix = field + ": ";
        var rest = line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line;
        return $"{flag} ({field}): {rest}";
    }
}
