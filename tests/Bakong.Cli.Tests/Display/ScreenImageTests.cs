extern alias testing;

using Bakong.Cli.Display;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;
using testing::Bakong.Testing;

namespace Bakong.Cli.Tests.Display;

/// <summary>
/// <c>bakong display emulate --png</c>: each screen as a PNG a phone can scan the QR from, drawn without a native
/// graphics library.
/// </summary>
public sealed class ScreenImageTests
{
    private const string Khqr = "00020101021229180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap64280002km0108ចន ស្មីន0206សៀមរាប6304A8B1";

    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeviceScreen s_qrScreen = new()
    {
        Kind = DisplayScreenKind.Qr,
        MerchantName = "Demo Shop",
        PaymentId = "QVaPNtQz3DLK7_dFk0tgJg",
        AmountMinor = 1250,
        Currency = 840,
        Exponent = 2,
        Qr = Khqr,
        CountdownEnd = s_now.AddSeconds(299),
    };

    [Fact]
    public void A_qr_screen_is_a_480_by_640_png_whose_code_scans_back_to_the_khqr()
    {
        var image = Png.Read(ScreenImage.Render(s_qrScreen, s_now));

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
        var image = Png.Read(ScreenImage.Render(s_qrScreen with { Kind = kind, Status = status }, s_now));

        Assert.Equal((r, g, b), image.Pixel(2, 2));
        Assert.Equal(((byte)255, (byte)255, (byte)255), image.Pixel(2, 639));
    }

    [Fact]
    public void The_amount_merchant_and_countdown_are_drawn_in_black_below_the_code()
    {
        var image = Png.Read(ScreenImage.Render(s_qrScreen, s_now));

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

        var image = Png.Read(ScreenImage.Render(idle, s_now));

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
            var file = PngFile.Read(png);
            Assert.Equal((8, 3), (file.BitDepth, file.ColorType)); // 8-bit palette indices
            var indices = new byte[file.Width * file.Height];
            for (var y = 0; y < file.Height; y++)
            {
                file.Row(y).CopyTo(indices.AsSpan(y * file.Width));
            }

            Assert.All(indices, i => Assert.InRange(i, 0, file.Palette.Length - 1));
            return new Png(file.Width, file.Height, indices, file.Palette);
        }
    }
}
