using System.Globalization;
using System.Security;
using System.Text;
using Bakong.Khqr;
using Bakong.Payments;
using QRCoder;

namespace Bakong.Gateway.QrImages;

/// <summary>A rendered image of a payment's QR.</summary>
internal sealed record RenderedQrImage(byte[] Data, string ContentType, int Width, int Height);

/// <summary>
/// Renders a payment's KHQR as PNG or SVG, plain or as a KHQR card. The one renderer behind
/// <c>GET /payments/{id}/qr.png|qr.svg</c> and the gRPC <c>qr_image</c> option, so both give the same bytes.
/// </summary>
/// <remarks>
/// The card follows the layout of NBC's KHQR content guideline: a red header carrying the KHQR mark, the merchant
/// name, the amount with its currency, a dashed separator, then the QR on white, in a 20:29 portrait card. It is SVG
/// only: its text is laid out by the viewer (browser, image library), which shapes Khmer with its own fonts; a PNG
/// would need a shaping engine and a Khmer font inside the gateway, so PNG is plain only.
/// </remarks>
internal static class QrImageRenderer
{
    public const string PngContentType = "image/png";
    public const string SvgContentType = "image/svg+xml";

    /// <summary>Bumped whenever the drawing changes, so caches holding the old bytes (ETag) revalidate.</summary>
    public const string Revision = "r1";

    // Error correction M (15% of codewords recoverable). A KHQR is 150–300 bytes (this gateway's are about 170). With
    // QRCoder 1.8.1 that is QR version 8 to 13 at M (49–69 modules a side; 170 bytes: version 9, 53 modules), 10 to
    // 16 at Q (57–81) and 12 to 18 at H (65–89). A phone at counter distance (30–60 cm from a screen or a printed
    // stand) resolves a code by its module pitch, so at the same printed size fewer, larger modules scan faster and
    // from further away: M's are about 15% larger than Q's and 30% larger than H's. M still absorbs screen glare,
    // reflections and a smudged print, which L (7%) does not, and no logo is drawn over the modules, so none of that
    // margin is spent. M is also what the bakong command's terminal QR uses.
    private const QRCodeGenerator.ECCLevel ErrorCorrection = QRCodeGenerator.ECCLevel.M;

    private const string KhqrRed = "#E1232E";
    private const string Fonts = "Roboto, Helvetica, Arial, 'Noto Sans Khmer', 'Khmer OS', 'Kantumruy Pro', sans-serif";

    // The card's own coordinate system: 20:29 portrait.
    private const int CardWidth = 400;
    private const int CardHeight = 580;

    public static RenderedQrImage Render(Payment payment, QrImageSpec spec)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(spec);
        using var data = Encode(payment.Qr);
        return (spec.Format, spec.Style) switch
        {
            (QrImageFormat.Png, QrImageStyle.Plain) => Png(data, spec.Size),
            (QrImageFormat.Svg, QrImageStyle.Plain) => Svg(PlainSvg(data, spec.Size), spec.Size, spec.Size),
            (QrImageFormat.Svg, QrImageStyle.Card) => Svg(CardSvg(data, payment, spec.Size, out var height), spec.Size, height),
            _ => throw new ArgumentException("No " + spec.Style + " " + spec.Format + " renderer; QrImageSpec refuses this.", nameof(spec)),
        };
    }

    /// <summary>The QR matrix of a payload, quiet zone included (four modules each side).</summary>
    public static QRCodeData Encode(string payload) =>
        // UTF-8 always: a KHQR may carry a Khmer alternate-language name, which is not ISO-8859-1.
        QRCodeGenerator.GenerateQrCode(payload, ErrorCorrection, forceUtf8: true);

    private static RenderedQrImage Png(QRCodeData data, int size)
    {
        var modules = data.ModuleMatrix.Count;
        var pixelsPerModule = Math.Max(1, size / modules);
        using var png = new PngByteQRCode(data);
        var bytes = png.GetGraphic(pixelsPerModule, drawQuietZones: true);
        return new RenderedQrImage(bytes, PngContentType, pixelsPerModule * modules, pixelsPerModule * modules);
    }

    private static RenderedQrImage Svg(string svg, int width, int height) =>
        new(Encoding.UTF8.GetBytes(svg), SvgContentType, width, height);

    private static string PlainSvg(QRCodeData data, int size)
    {
        var n = data.ModuleMatrix.Count;
        var svg = new StringBuilder(16 * 1024);
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\" role=\"img\">");
        svg.Append("<title>KHQR code</title>");
        AppendModules(svg, data);
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string CardSvg(QRCodeData data, Payment payment, int width, out int height)
    {
        height = (int)Math.Round(width * (double)CardHeight / CardWidth, MidpointRounding.AwayFromZero);
        var decoded = KhqrDecoder.Decode(payment.Qr);
        var name = decoded.MerchantName ?? "";
        var alternateName = decoded.MerchantNameAlternateLanguage;
        var amount = FormatAmount(payment.Money);
        var currency = payment.Money.CurrencyCode;
        var n = data.ModuleMatrix.Count;

        var svg = new StringBuilder(20 * 1024);
        var i = CultureInfo.InvariantCulture;
        svg.Append(i, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {CardWidth} {CardHeight}\" role=\"img\">");
        svg.Append(i, $"<title>KHQR: pay {Escape(amount)} {currency} to {Escape(name)}</title>");
        svg.Append(i, $"<defs><clipPath id=\"card\"><rect width=\"{CardWidth}\" height=\"{CardHeight}\" rx=\"24\"/></clipPath></defs>");
        svg.Append(i, $"<g clip-path=\"url(#card)\" font-family=\"{Fonts}\">");
        svg.Append(i, $"<rect width=\"{CardWidth}\" height=\"{CardHeight}\" fill=\"#fff\"/>");

        // The header: red, the KHQR mark centred, its bottom-right corner cut away as in the guideline's card.
        svg.Append(i, $"<rect width=\"{CardWidth}\" height=\"84\" fill=\"{KhqrRed}\"/>");
        svg.Append(i, $"<path d=\"M{CardWidth - 44} 84 L{CardWidth} 40 V84 Z\" fill=\"#fff\"/>");
        svg.Append("<text x=\"200\" y=\"56\" text-anchor=\"middle\" font-size=\"36\" font-weight=\"700\" letter-spacing=\"3\" fill=\"#fff\">KHQR</text>");

        // Merchant name (and its alternate-language form), then the amount large with the currency beside it.
        svg.Append(i, $"<text x=\"36\" y=\"124\" font-size=\"20\" fill=\"#000\">{Escape(name)}</text>");
        if (!string.IsNullOrEmpty(alternateName))
        {
            svg.Append(i, $"<text x=\"36\" y=\"150\" font-size=\"17\" fill=\"#555\">{Escape(alternateName)}</text>");
        }

        svg.Append(i, $"<text x=\"36\" y=\"192\" font-size=\"38\" font-weight=\"700\" fill=\"#000\">{Escape(amount)}<tspan dx=\"10\" font-size=\"18\" font-weight=\"400\" fill=\"#555\">{currency}</tspan></text>");
        svg.Append("<line x1=\"0\" y1=\"216\" x2=\"400\" y2=\"216\" stroke=\"#9e9e9e\" stroke-width=\"2\" stroke-dasharray=\"8 6\"/>");

        // The QR: 320 wide with its own quiet zone, on the white card.
        svg.Append(i, $"<svg x=\"40\" y=\"236\" width=\"320\" height=\"320\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">");
        AppendModules(svg, data);
        svg.Append("</svg></g>");
        svg.Append(i, $"<rect x=\"1\" y=\"1\" width=\"{CardWidth - 2}\" height=\"{CardHeight - 2}\" rx=\"23\" fill=\"none\" stroke=\"#d9d9d9\" stroke-width=\"2\"/>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A white square and one black path, each horizontal run of dark modules one subpath.</summary>
    private static void AppendModules(StringBuilder svg, QRCodeData data)
    {
        var matrix = data.ModuleMatrix;
        var n = matrix.Count;
        var i = CultureInfo.InvariantCulture;
        svg.Append(i, $"<rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
        for (var y = 0; y < n; y++)
        {
            var row = matrix[y];
            for (var x = 0; x < n; x++)
            {
                if (!row[x])
                {
                    continue;
                }

                var start = x;
                while (x + 1 < n && row[x + 1])
                {
                    x++;
                }

                svg.Append(i, $"M{start} {y}h{x - start + 1}v1h-{x - start + 1}z");
            }
        }

        svg.Append("\"/>");
    }

    private static string FormatAmount(Money money) => money.Currency == KhqrCurrency.Khr
        ? money.MinorUnits.ToString("N0", CultureInfo.InvariantCulture)
        : money.Amount.ToString("N2", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text);
}
