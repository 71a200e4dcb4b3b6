using Bakong.Testing;
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

    /// <summary>The gateway's PNG (1-bit grayscale, filter 0 only) as one byte per pixel.</summary>
    private static (int Width, int Height, byte[] Pixels) Gray8(byte[] png)
    {
        var file = PngFile.Read(png);
        Assert.Equal((1, 0), (file.BitDepth, file.ColorType)); // bit depth 1, grayscale
        var (width, height) = (file.Width, file.Height);
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = file.Row(y);
            for (var x = 0; x < width; x++)
            {
                var bit = (row[x / 8] >> (7 - (x % 8))) & 1;
                pixels[(y * width) + x] = bit == 1 ? (byte)255 : (byte)0;
            }
        }

        return (width, height, pixels);
    }
}
