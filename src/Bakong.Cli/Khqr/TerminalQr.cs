using System.Text;
using QRCoder;

namespace Bakong.Cli.Khqr;

/// <summary>
/// Draws a QR code as text a phone can scan off the screen: two modules per character cell with the half blocks
/// <c>▀ ▄ █</c>, inside the standard four-module quiet zone.
/// </summary>
internal static class TerminalQr
{
    /// <summary>
    /// Renders <paramref name="payload"/>. Terminals usually draw light text on a dark background, so by default the
    /// light modules (and the quiet zone) are the ones drawn; <paramref name="darkOnLight"/> draws the dark modules
    /// instead, for dark text on a light background.
    /// </summary>
    public static string Render(string payload, bool darkOnLight = false)
    {
        using var data = Encode(payload);
        var modules = data.ModuleMatrix; // includes the quiet zone
        var size = modules.Count;
        var text = new StringBuilder((size + 1) * ((size + 1) / 2));
        for (var y = 0; y < size; y += 2)
        {
            for (var x = 0; x < size; x++)
            {
                var top = modules[y][x] == darkOnLight;
                var bottom = y + 1 < size && modules[y + 1][x] == darkOnLight;
                text.Append((top, bottom) switch
                {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    _ => ' ',
                });
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The QR of a KHQR payload, quiet zone included; also drawn as an image by <c>bakong display emulate --png</c>.</summary>
    public static QRCodeData Encode(string payload) =>
        // KHQR payloads are UTF-8 (a Khmer alternate name is not ISO-8859-1); M is the level banking apps read well.
        QRCodeGenerator.GenerateQrCode(payload, QRCodeGenerator.ECCLevel.M, forceUtf8: true);
}
