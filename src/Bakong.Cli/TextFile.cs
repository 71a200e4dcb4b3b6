namespace Bakong.Cli;

/// <summary>
/// A small text file a user named (a PEM certificate, key or CA file): read whole, or refused unread when it is over a
/// bound, with the reason in words that never quote the file.
/// </summary>
internal static class TextFile
{
    /// <summary>
    /// The file's text, or null with <paramref name="problem"/>: "<c>N bytes, at most M for </c><paramref name="what"/>"
    /// or "<c>cannot read it (…)</c>".
    /// </summary>
    public static string? Read(string path, long maxBytes, string what, out string? problem)
    {
        try
        {
            var file = new FileInfo(path);
            if (file.Exists && file.Length > maxBytes)
            {
                problem = $"{file.Length} bytes, at most {maxBytes} for {what}";
                return null;
            }

            problem = null;
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = "cannot read it (" + e.Message + ")";
            return null;
        }
    }
}
