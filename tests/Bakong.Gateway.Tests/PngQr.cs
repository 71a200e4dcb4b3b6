using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Bakong.Gateway.Tests;

/// <summary>Scans a PNG the way a phone would: the gateway's 1-bit grayscale PNG decoded to pixels, read by ZXing.</summary>
internal static class PngQr
{
    public static string Decode(byte[] png)
    {
        var (width, height, pixels) = Gray8(png);
        var source = new RGBLuminanceSource(pixels, width, height, RGBLuminanceSource.BitmapFormat.Gray8);
        var hints = new Dictionary<DecodeHintType, object> { [DecodeHintType.CHARACTER_SET] = "UTF-8", [DecodeHintType.PURE_BARCODE] = true };
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints);
        Assert.NotNull(result);
        return result.Text;
    }

    /// <summary>PNG chunks → IHDR and IDAT → inflate → unfiltered rows (filter 0 only, as the gateway writes) → one byte per pixel.</summary>
    private static (int Width, int Height, byte[] Pixels) Gray8(byte[] png)
    {
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal((1, 0), (data[8], data[9])); // bit depth 1, grayscale
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var stride = (width + 7) / 8;
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = y * (stride + 1);
            Assert.Equal(0, raw[row]);
            for (var x = 0; x < width; x++)
            {
                var bit = (raw[row + 1 + (x / 8)] >> (7 - (x % 8))) & 1;
                pixels[(y * width) + x] = bit == 1 ? (byte)255 : (byte)0;
            }
        }

        return (width, height, pixels);
    }
}
