using Bakong.Gateway.QrImages;
using Bakong.Payments;
using Google.Protobuf;
using V1 = Bakong.Payments.V1;

namespace Bakong.Gateway.Rpc;

/// <summary>The gRPC <c>qr_image</c> option of CreatePayment and GetPayment, over the one <see cref="QrImageRenderer"/>.</summary>
internal static class QrImageMapper
{
    /// <summary>The image asked for, or null when none is (unset, or format unspecified); violations name <c>qr_image.*</c>.</summary>
    public static QrImageSpec? ToSpec(V1.QrImageOptions? options, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        if (options is null || options.Format == V1.QrImageFormat.Unspecified)
        {
            return null;
        }

        QrImageFormat? format = options.Format switch
        {
            V1.QrImageFormat.Png => QrImageFormat.Png,
            V1.QrImageFormat.Svg => QrImageFormat.Svg,
            _ => null,
        };
        QrImageStyle? style = options.Style switch
        {
            V1.QrImageStyle.Unspecified or V1.QrImageStyle.Plain => QrImageStyle.Plain,
            V1.QrImageStyle.Card => QrImageStyle.Card,
            _ => null,
        };
        if (format is null)
        {
            violations.Add(new FieldViolation("qr_image.format", "must be QR_IMAGE_FORMAT_PNG or QR_IMAGE_FORMAT_SVG"));
        }

        if (style is null)
        {
            violations.Add(new FieldViolation("qr_image.style", "must be QR_IMAGE_STYLE_PLAIN or QR_IMAGE_STYLE_CARD"));
        }

        if (format is null || style is null)
        {
            return null;
        }

        return QrImageSpec.Create(format.Value, style.Value, options.Size == 0 ? null : options.Size, violations, "qr_image.style", "qr_image.size");
    }

    /// <summary>The image of <paramref name="payment"/>'s QR, or null when <paramref name="spec"/> is.</summary>
    public static V1.QrImage? ToProto(Payment payment, QrImageSpec? spec)
    {
        if (spec is null)
        {
            return null;
        }

        var image = QrImageRenderer.Render(payment, spec);
        return new V1.QrImage
        {
            Format = spec.Format == QrImageFormat.Png ? V1.QrImageFormat.Png : V1.QrImageFormat.Svg,
            Style = spec.Style == QrImageStyle.Card ? V1.QrImageStyle.Card : V1.QrImageStyle.Plain,
            ContentType = image.ContentType,
            Data = ByteString.CopyFrom(image.Data),
            Width = image.Width,
            Height = image.Height,
        };
    }
}
