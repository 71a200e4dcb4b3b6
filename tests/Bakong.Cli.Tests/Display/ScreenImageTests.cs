using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Bakong.Cli.Display;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Bakong.Cli.Tests.Display;

/// <summary>
/// <c>bakong display emulate --png</c>: each screen as a PNG a phone can scan the QR from, drawn without a native
/// graphics library.
/// </summary>
public sealed class ScreenImageTests
{
    private const string Khqr = "00020101021229180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap64280002km0108ចន ស្មីន0206សៀមរាប6304A8B1";

    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeviceScreen QrScreen = new()
    {
        Kind = DisplayScreenKind.Qr,
        MerchantName = "Demo Shop",
        PaymentId = "QVaPNtQz3DLK7_dFk0tgJg",
        AmountMinor = 1250,
        Currency = 840,
        Exponent = 2,
        Qr = Khqr,
        CountdownEnd = Now.AddSeconds(299),
    };

    [Fact]
    public void A_qr_screen_is_a_480_by_640_png_whose_code_scans_back_to_the_khqr()
    {
        var image = Png.Read(ScreenImage.Render(QrScreen, Now));

        Assert.Equal((480, 640), (image.Width, image.Height));
        Assert.Equal(Khqr, image.ScanQr());
    }

    [Theory]
    [InlineData(DisplayScreenKind.Qr, DisplayStatus.Waiting, 0xE1, 0x23, 0x2E)]
    [InlineData(DisplayScreenKind.Status, DisplayStatus.Paid, 0x1B, 0x8A, 0x3C)]
    [InlineData(DisplayScreenKind.Status, DisplayStatus.Expired, 0x80, 0x80, 0x80)]
    [InlineData(DisplayScreenKind.Idle, DisplayStatus.Waiting, 0x20, 0x40, 0x80)]
    public void The_banner_colour_says_which_screen_is_up(DisplayScreenKind kind, DisplayStatus status, byte r, byte g, byte b)
    {
        var image = Png.Read(ScreenImage.Render(QrScreen with { Kind = kind, Status = status }, Now));

        Assert.Equal((r, g, b), image.Pixel(2, 2));
        Assert.Equal(((byte)255, (byte)255, (byte)255), image.Pixel(2, 639));
    }

    [Fact]
    public void The_amount_merchant_and_countdown_are_drawn_in_black_below_the_code()
    {
        var image = Png.Read(ScreenImage.Render(QrScreen, Now));

        // The rows of the three text lines (amount at 486, merchant at 530, countdown at 570) hold black pixels.
        foreach (var top in new[] { 486, 530, 570 })
        {
            Assert.Contains(Enumerable.Range(0, 480), x => image.Pixel(x, top + 3) == (0, 0, 0));
        }
    }

    [Fact]
    public void Lower_case_is_drawn_in_capitals_and_a_character_the_font_lacks_is_a_box()
    {
        static string Glyph(char c) => string.Concat(Enumerable.Range(0, 35).Select(i => PixelFont.IsLit(c, i % 5, i / 5) ? '#' : '.'));

        Assert.Equal(Glyph('A'), Glyph('a'));
        Assert.Equal("######...##...##...##...##...######", Glyph('ស'));
    }

    [Fact]
    public void A_line_longer_than_the_screen_is_shrunk_and_cut_not_drawn_outside_it()
    {
        var idle = new DeviceScreen { Kind = DisplayScreenKind.Idle, MerchantName = new string('W', 120), Line2 = string.Concat(Enumerable.Repeat("ស្មីន ", 40)) };

        var image = Png.Read(ScreenImage.Render(idle, Now));

        Assert.Equal((480, 640), (image.Width, image.Height));
    }

    /// <summary>An indexed-colour PNG (as <see cref="IndexedPng"/> writes it) read back to pixels, checking every chunk's CRC.</summary>
    private sealed record Png(int Width, int Height, byte[] Indices, (byte R, byte G, byte B)[] Palette)
    {
        public (byte R, byte G, byte B) Pixel(int x, int y) => Palette[Indices[(y * Width) + x]];

        public string ScanQr()
        {
            var gray = Indices.Select(i => (byte)((Palette[i].R + Palette[i].G + Palette[i].B) / 3)).ToArray();
            var source = new RGBLuminanceSource(gray, Width, Height, RGBLuminanceSource.BitmapFormat.Gray8);
            var hints = new Dictionary<DecodeHintType, object> { [DecodeHintType.CHARACTER_SET] = "UTF-8", [DecodeHintType.TRY_HARDER] = true };
            var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints);
            Assert.NotNull(result);
            return result.Text;
        }

        public static Png Read(byte[] png)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
            int width = 0, height = 0;
            var palette = Array.Empty<(byte, byte, byte)>();
            using var idat = new MemoryStream();
            for (var offset = 8; offset < png.Length;)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
                var type = Encoding.ASCII.GetString(png, offset + 4, 4);
                var data = png.AsSpan(offset + 8, length);
                Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(offset + 4, length + 4)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length)));
                switch (type)
                {
                    case "IHDR":
                        width = BinaryPrimitives.ReadInt32BigEndian(data);
                        height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                        Assert.Equal((8, 3), (data[8], data[9])); // 8-bit palette indices
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

            var raw = inflated.ToArray();
            Assert.Equal(height * (width + 1), raw.Length);
            var indices = new byte[width * height];
            for (var y = 0; y < height; y++)
            {
                Assert.Equal(0, raw[y * (width + 1)]); // filter None
                raw.AsSpan((y * (width + 1)) + 1, width).CopyTo(indices.AsSpan(y * width));
            }

            Assert.All(indices, i => Assert.InRange(i, 0, palette.Length - 1));
            return new Png(width, height, indices, palette);
        }
    }
}
