using System.Globalization;

namespace Bakong.Display.Tests;

/// <summary>The shared vectors in firmware-protocol/vectors/ (written by the firmware side, read by the C and C# tests).</summary>
internal static class VectorFiles
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bakong.Grpc.sln")))
                {
                    return Path.Combine(dir.FullName, "firmware-protocol", "vectors");
                }
            }

            throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The records of a vector file whose first token is <paramref name="kind"/>, each as its tokens.</summary>
    public static TheoryData<string> Names(string file, string kind)
    {
        var data = new TheoryData<string>();
        foreach (var tokens in Records(file, kind))
        {
            data.Add(tokens[1]);
        }

        return data;
    }

    public static string[] Record(string file, string kind, string name) =>
        Records(file, kind).Single(t => t[1] == name);

    public static IEnumerable<string[]> Records(string file, string kind) =>
        File.ReadLines(Path.Combine(Directory, file))
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split(' '))
            .Where(tokens => tokens[0] == kind);

    public static byte[] Hex(string token) => token == "-" ? [] : Convert.FromHexString(token);

    public static byte Byte(string token) =>
        token.StartsWith("0x", StringComparison.Ordinal)
            ? byte.Parse(token.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : byte.Parse(token, CultureInfo.InvariantCulture);
}
