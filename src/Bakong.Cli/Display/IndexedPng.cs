using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Bakong.Cli.Display;

/// <summary>
/// Writes an image of a few flat colours as a PNG (colour type 3: one palette index per pixel, every row unfiltered).
/// A screen of filled boxes, text and QR modules compresses to a few kilobytes this way, with nothing but
/// System.IO.Compression, instead of a native graphics library.
/// </summary>
internal static class IndexedPng
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="pixels">Row after row, one index into <paramref name="palette"/> per pixel.</param>
    /// <param name="palette">At most 256 colours, as (red, green, blue).</param>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> pixels, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.Length, width * height);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(palette.Count, 256);
        using var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bits per index
        header[9] = 3; // indexed colour; compression, filter and interlace methods 0
        WriteChunk(png, "IHDR", header);

        var colours = new byte[palette.Count * 3];
        for (var i = 0; i < palette.Count; i++)
        {
            (colours[i * 3], colours[(i * 3) + 1], colours[(i * 3) + 2]) = palette[i];
        }

        WriteChunk(png, "PLTE", colours);

        using var data = new MemoryStream();
        using (var zlib = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (var row = 0; row < height; row++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(pixels.Slice(row * width, width));
            }
        }

        WriteChunk(png, "IDAT", data.GetBuffer().AsSpan(0, (int)data.Length));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Length, type, data, and the CRC-32 of type and data.</summary>
    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var name = Encoding.ASCII.GetBytes(type);
        png.Write(name);
        png.Write(data);
        var crc = new Crc32();
        crc.Append(name);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        png.Write(word);
    }
}
