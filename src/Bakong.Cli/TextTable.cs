using System.Text;

namespace Bakong.Cli;

/// <summary>
/// The commands' plain tables (<c>payments list</c>, <c>clients list</c>, <c>audit list</c>): columns two spaces apart,
/// each as wide as its widest cell, the chosen columns right-aligned, the last column not padded, no trailing spaces.
/// </summary>
internal static class TextTable
{
    /// <summary>The lines of <paramref name="rows"/> (the header first, every row as long as it).</summary>
    public static IEnumerable<string> Lines(IReadOnlyList<string[]> rows, params int[] rightAligned)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var widths = new int[rows.Count == 0 ? 0 : rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    line.Append("  ");
                }

                line.Append(i == row.Length - 1 ? row[i] : rightAligned.Contains(i) ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]));
            }

            yield return line.ToString().TrimEnd();
        }
    }
}
