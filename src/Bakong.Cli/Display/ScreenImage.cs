using System.Globalization;
using Bakong.Cli.Khqr;
using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Cli.Display;

/// <summary>
/// An emulated display's screen as a PNG (480×640, portrait like a countertop QR stand): a coloured banner, the QR
/// or the result, the amount, the merchant. Flat colours, the QR on whole pixels per module (sharp, scannable off the
/// image) and text in <see cref="PixelFont"/>.
/// </summary>
internal static class ScreenImage
{
    public const int Width = 480;
    public const int Height = 640;

    private const int BannerHeight = 80;
    private const byte White = 0;
    private const byte Black = 1;
    private const byte Banner = 2;

    /// <summary>The palette's first two entries; the third is the banner's colour, which says which screen is up.</summary>
    private static readonly (byte, byte, byte) s_whiteRgb = (0xFF, 0xFF, 0xFF), s_blackRgb = (0x00, 0x00, 0x00);

    public static byte[] Render(DeviceScreen screen, DateTimeOffset now)
    {
        var pixels = new byte[Width * Height];
        var (banner, colour) = screen.Kind switch
        {
            DisplayScreenKind.Qr => ("KHQR", ((byte)0xE1, (byte)0x23, (byte)0x2E)),
            DisplayScreenKind.Status => (ScreenText.StatusLine(screen.Status), screen.Status == DisplayStatus.Paid ? ((byte)0x1B, (byte)0x8A, (byte)0x3C) : ((byte)0x80, (byte)0x80, (byte)0x80)),
            DisplayScreenKind.Idle => (screen.MerchantName, ((byte)0x20, (byte)0x40, (byte)0x80)),
            _ => ("", ((byte)0x00, (byte)0x00, (byte)0x00)),
        };
        Fill(pixels, 0, 0, Width, BannerHeight, Banner);
        Text(pixels, banner, 22, scale: 5, White);
        if (screen.Kind == DisplayScreenKind.Qr)
        {
            if (screen.ShowsQrCode)
            {
                Qr(pixels, screen.Qr, top: 100, size: 360); // an empty qr has no code to draw (SPEC.md §6.2)
            }

            var left = screen.SecondsLeft(now);
            Text(pixels, screen.AmountText(), 486, scale: 4, Black);
            Text(pixels, screen.MerchantName, 530, scale: 3, Black);
            Text(pixels, string.Create(CultureInfo.InvariantCulture, $"expires in {left / 60}:{left % 60:00}{(screen.Offline ? " (offline)" : "")}"), 570, scale: 3, Black);
        }
        else if (screen.Kind == DisplayScreenKind.Status)
        {
            Text(pixels, screen.AmountText(), 280, scale: 4, Black);
            Text(pixels, screen.MerchantName, 336, scale: 3, Black);
            Text(pixels, screen.Message, 386, scale: 3, Black);
        }
        else if (screen.Kind == DisplayScreenKind.Idle)
        {
            Text(pixels, screen.Line2, 316, scale: 3, Black);
        }

        return IndexedPng.Encode(Width, Height, pixels, [s_whiteRgb, s_blackRgb, colour]);
    }

    /// <summary>The QR with its quiet zone, each module a square of whole pixels, centred across the screen.</summary>
    private static void Qr(byte[] pixels, string payload, int top, int size)
    {
        using var data = TerminalQr.Encode(payload);
        var modules = data.ModuleMatrix;
        var cell = Math.Max(1, size / modules.Count);
        var x0 = (Width - (cell * modules.Count)) / 2;
        var y0 = top + ((size - (cell * modules.Count)) / 2);
        for (var row = 0; row < modules.Count; row++)
        {
            for (var col = 0; col < modules.Count; col++)
            {
                if (modules[row][col])
                {
                    Fill(pixels, x0 + (col * cell), y0 + (row * cell), cell, cell, Black);
                }
            }
        }
    }

    /// <summary>One line centred across the screen: <paramref name="scale"/> pixels per font pixel, smaller if it would not fit, cut if even 1 does not.</summary>
    private static void Text(byte[] pixels, string text, int top, int scale, byte colour)
    {
        // One glyph per code point: a character outside the BMP (or a combining mark) is one box, not two.
        var glyphs = new List<char>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            glyphs.Add(rune.IsBmp ? (char)rune.Value : '\uFFFF');
        }

        const int margin = 8;
        while (scale > 1 && glyphs.Count * PixelFont.Advance * scale > Width - (2 * margin))
        {
            scale--;
        }

        var fits = (Width - (2 * margin)) / (PixelFont.Advance * scale);
        if (glyphs.Count > fits)
        {
            glyphs.RemoveRange(fits, glyphs.Count - fits);
        }

        var x = (Width - ((glyphs.Count * PixelFont.Advance * scale) - scale)) / 2;
        foreach (var c in glyphs)
        {
            for (var row = 0; row < PixelFont.GlyphHeight; row++)
            {
                for (var column = 0; column < PixelFont.GlyphWidth; column++)
                {
                    if (PixelFont.IsLit(c, column, row))
                    {
                        Fill(pixels, x + (column * scale), top + (row * scale), scale, scale, colour);
                    }
                }
            }

            x += PixelFont.Advance * scale;
        }
    }

    private static void Fill(byte[] pixels, int x, int y, int width, int height, byte colour)
    {
        for (var row = Math.Max(0, y); row < Math.Min(Height, y + height); row++)
        {
            pixels.AsSpan((row * Width) + Math.Max(0, x), Math.Max(0, Math.Min(Width, x + width) - Math.Max(0, x))).Fill(colour);
        }
    }
}
