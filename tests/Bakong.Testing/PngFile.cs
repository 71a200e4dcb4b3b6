using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Bakong.Testing;

/// <summary>
/// A PNG as the gateway (1-bit grey QR images) and <c>bakong display emulate --png</c> (8-bit indexed screens) write
/// it, read back without an imaging library: the signature, every chunk with its CRC checked, IHDR, PLTE if any, and the
/// IDAT data inflated. Each test checks its own format (bit depth, colour type) and unpacks its own rows.
/// </summary>
public sealed record PngFile(int Width, int Height, byte BitDepth, byte ColorType, (byte R, byte G, byte B)[] Palette, byte[] Inflated)
{
    private static readonly byte[] s_signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static PngFile Read(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        Assert.Equal(s_signature, png[..8]);
        int width = 0, height = 0;
        byte bitDepth = 0, colorType = 0;
        var palette = Array.Empty<(byte, byte, byte)>();
        using var idat = new MemoryStream();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            Assert.Equal(Crc32.HashToUInt32(png.AsSpan(offset + 4, length + 4)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length)));
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    (bitDepth, colorType) = (data[8], data[9]);
                    break;
                case "PLTE":
                    palette = [.. Enumerable.Range(0, length / 3).Select(i => (png[offset + 8 + (i * 3)], png[offset + 9 + (i * 3)], png[offset + 10 + (i * 3)]))];
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        return new PngFile(width, height, bitDepth, colorType, palette, inflated.ToArray());
    }

    /// <summary>The bytes of row <paramref name="y"/> after its filter byte, which must be 0 (None: all these writers use).</summary>
    public ReadOnlySpan<byte> Row(int y)
    {
        var stride = ((Width * BitDepth) + 7) / 8;
        Assert.Equal(Height * (stride + 1), Inflated.Length);
        Assert.Equal(0, Inflated[y * (stride + 1)]);
        return Inflated.AsSpan((y * (stride + 1)) + 1, stride);
    }
}
