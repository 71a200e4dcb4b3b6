using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Cli.Khqr;
using SkiaSharp;

namespace Bakong.Cli.Display;

/// <summary>An emulated display's screen as a PNG (480×640, portrait like a countertop QR stand): banner, QR or result, amount, merchant.</summary>
internal static class ScreenImage
{
    private const int Width = 480;
    private const int Height = 640;

    // The NoDependencies native build has no fontconfig: load a common font file if one is installed, else Skia's default.
    private static readonly string[] s_fontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    ];

    private static readonly Lazy<SKTypeface> s_typeface = new(() =>
        s_fontFiles.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default);

    public static byte[] Render(DeviceScreen screen, DateTimeOffset now)
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var (banner, color) = screen.Kind switch
        {
            DisplayScreenKind.Qr => ("KHQR", new SKColor(0xE1, 0x23, 0x2E)),
            DisplayScreenKind.Status => (ScreenText.StatusLine(screen.Status), screen.Status == DisplayStatus.Paid ? new SKColor(0x1B, 0x8A, 0x3C) : new SKColor(0x80, 0x80, 0x80)),
            DisplayScreenKind.Idle => (screen.MerchantName, new SKColor(0x20, 0x40, 0x80)),
            _ => ("", SKColors.Black),
        };
        using (var fill = new SKPaint { Color = color })
        {
            canvas.DrawRect(0, 0, Width, 80, fill);
        }

        using var font = new SKFont(s_typeface.Value, 32);
        using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var black = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(banner, Width / 2f, 52, SKTextAlign.Center, font, white);
        if (screen.Kind == DisplayScreenKind.Qr)
        {
            if (screen.ShowsQrCode)
            {
                DrawQr(canvas, screen.Qr, 60, 100, 360); // an empty qr has no code to draw (SPEC.md §6.2)
            }

            canvas.DrawText(screen.AmountText(), Width / 2f, 510, SKTextAlign.Center, font, black);
            using var small = new SKFont(s_typeface.Value, 22);
            canvas.DrawText(screen.MerchantName, Width / 2f, 550, SKTextAlign.Center, small, black);
            var left = screen.SecondsLeft(now);
            canvas.DrawText($"expires in {left / 60}:{left % 60:00}{(screen.Offline ? " (offline)" : "")}", Width / 2f, 590, SKTextAlign.Center, small, black);
        }
        else if (screen.Kind == DisplayScreenKind.Status)
        {
            canvas.DrawText(screen.AmountText(), Width / 2f, 300, SKTextAlign.Center, font, black);
            using var small = new SKFont(s_typeface.Value, 22);
            canvas.DrawText(screen.MerchantName, Width / 2f, 350, SKTextAlign.Center, small, black);
            canvas.DrawText(screen.Message, Width / 2f, 400, SKTextAlign.Center, small, black);
        }
        else if (screen.Kind == DisplayScreenKind.Idle)
        {
            using var small = new SKFont(s_typeface.Value, 22);
            canvas.DrawText(screen.Line2, Width / 2f, 330, SKTextAlign.Center, small, black);
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static void DrawQr(SKCanvas canvas, string payload, float x, float y, float size)
    {
        using var data = TerminalQr.Encode(payload);
        var modules = data.ModuleMatrix;
        var cell = size / modules.Count;
        using var dark = new SKPaint { Color = SKColors.Black };
        for (var row = 0; row < modules.Count; row++)
        {
            for (var col = 0; col < modules.Count; col++)
            {
                if (modules[row][col])
                {
                    canvas.DrawRect(x + (col * cell), y + (row * cell), cell + 0.5f, cell + 0.5f, dark);
                }
            }
        }
    }
}
