using Bakong.Grpc.Payments.V1;
using Google.Protobuf;

namespace Bakong.Gateway.Rpc;

/// <summary>The gRPC <c>qr_image</c> option of CreatePayment and GetPayment, over the one <see cref="QrImages.QrImageRenderer"/>.</summary>
internal static class QrImageMapper
{
    /// <summary>The image asked for, or null when none is (unset, or format unspecified); violations name <c>qr_image.*</c>.</summary>
    public static QrImages.QrImageSpec? ToSpec(QrImageOptions? options, List<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        if (options is null || options.Format == QrImageFormat.Unspecified)
        {
            return null;
        }

        QrImages.QrImageFormat? format = options.Format switch
        {
            QrImageFormat.Png => QrImages.QrImageFormat.Png,
            QrImageFormat.Svg => QrImages.QrImageFormat.Svg,
            _ => null,
        };
        QrImages.QrImageStyle? style = options.Style switch
        {
            QrImageStyle.Unspecified or QrImageStyle.Plain => QrImages.QrImageStyle.Plain,
            QrImageStyle.Card => QrImages.QrImageStyle.Card,
            _ => null,
        };
        if (format is null)
        {
            violations.Add(new Payments.FieldViolation("qr_image.format", "must be QR_IMAGE_FORMAT_PNG or QR_IMAGE_FORMAT_SVG"));
        }

        if (style is null)
        {
            violations.Add(new Payments.FieldViolation("qr_image.style", "must be QR_IMAGE_STYLE_PLAIN or QR_IMAGE_STYLE_CARD"));
        }

        if (format is null || style is null)
        {
            return null;
        }

        return QrImages.QrImageSpec.Create(format.Value, style.Value, options.Size == 0 ? null : options.Size, violations, "qr_image.style", "qr_image.size");
    }

    /// <summary>The image of <paramref name="payment"/>'s QR, or null when <paramref name="spec"/> is.</summary>
    public static QrImage? ToProto(Payments.Payment payment, QrImages.QrImageSpec? spec)
    {
        if (spec is null)
        {
            return null;
        }

        var image = QrImages.QrImageRenderer.Render(payment, spec);
        return new QrImage
        {
            Format = spec.Format == QrImages.QrImageFormat.Png ? QrImageFormat.Png : QrImageFormat.Svg,
            Style = spec.Style == QrImages.QrImageStyle.Card ? QrImageStyle.Card : QrImageStyle.Plain,
            ContentType = image.ContentType,
            Data = ByteString.CopyFrom(image.Data),
            Width = image.Width,
            Height = image.Height,
        };
    }
}
