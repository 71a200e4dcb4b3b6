using System.Globalization;
using Bakong.Payments;

namespace Bakong.Gateway.QrImages;

/// <summary>The image formats of a payment's QR.</summary>
internal enum QrImageFormat
{
    Png,
    Svg,
}

/// <summary>How the QR is framed: alone, or on a KHQR card.</summary>
internal enum QrImageStyle
{
    Plain,
    Card,
}

/// <summary>
/// What image of a payment's QR to render: the one set of rules for the HTTP endpoints (<c>?style=&amp;size=</c>) and
/// the gRPC <c>QrImageOptions</c>, so both accept and refuse the same things; only the field names differ.
/// </summary>
internal sealed record QrImageSpec(QrImageFormat Format, QrImageStyle Style, int Size)
{
    public const int DefaultSize = 512;
    public const int MinSize = 64;
    public const int MaxSize = 4096;

    /// <summary>
    /// Checks a spec; adds one violation per bad field, named <paramref name="styleField"/> and <paramref name="sizeField"/>.
    /// <paramref name="size"/> is the requested width, or null for <see cref="DefaultSize"/>.
    /// </summary>
    public static QrImageSpec? Create(
        QrImageFormat format, QrImageStyle style, int? size, List<FieldViolation> violations, string styleField, string sizeField)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var before = violations.Count;
        if (style == QrImageStyle.Card && format != QrImageFormat.Svg)
        {
            // The card's text needs a Khmer-capable text shaper; the SVG leaves that to the viewer, a PNG cannot.
            violations.Add(new FieldViolation(styleField, "the card style is SVG only; a PNG is plain"));
        }

        if (size is { } s && s is < MinSize or > MaxSize)
        {
            violations.Add(new FieldViolation(sizeField, "must be from " + MinSize + " to " + MaxSize + " pixels"));
        }

        return violations.Count == before ? new QrImageSpec(format, style, size ?? DefaultSize) : null;
    }

    /// <summary>Reads the query string of <c>GET /payments/{id}/qr.png|qr.svg</c>: <c>style=plain|card</c>, <c>size=N</c>.</summary>
    public static QrImageSpec? FromQuery(QrImageFormat format, string? style, string? size, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var parsedStyle = QrImageStyle.Plain;
        var styleOk = true;
        if (style is not null)
        {
            if (string.Equals(style, "card", StringComparison.OrdinalIgnoreCase))
            {
                parsedStyle = QrImageStyle.Card;
            }
            else if (!string.Equals(style, "plain", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(new FieldViolation("style", "must be plain or card"));
                styleOk = false;
            }
        }

        int? parsedSize = null;
        var sizeOk = true;
        if (size is not null)
        {
            if (int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                parsedSize = s;
            }
            else
            {
                violations.Add(new FieldViolation("size", "must be a whole number of pixels from " + MinSize + " to " + MaxSize));
                sizeOk = false;
            }
        }

        var before = violations.Count;
        var spec = Create(format, styleOk ? parsedStyle : QrImageStyle.Plain, sizeOk ? parsedSize : null, violations, "style", "size");
        return styleOk && sizeOk && violations.Count == before ? spec : null;
    }
}
