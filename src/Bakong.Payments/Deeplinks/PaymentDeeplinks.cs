using Bakong.OpenApi.Client;
using Bakong.Payments;
using V1 = Bakong.Payments.V1;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// The optional deeplink of <c>CreatePayment</c>: Bakong's <c>generate_deeplink_by_qr</c> for the payment's QR. Asked
/// after the payment is saved, and never an error: without a link the payment is still payable by its QR, so the
/// reason goes into the response (and the log) instead.
/// </summary>
internal sealed class PaymentDeeplinks(IBakongClient bakong, ILogger<PaymentDeeplinks> logger)
{
    public const int MaxAppNameLength = 64;

    /// <summary>app_icon_url and callback_url: far beyond any real URL, well within what Bakong is sent.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>Bakong's <c>sourceInfo</c> (null for none), or violations named by their proto paths.</summary>
    public static DeeplinkSourceInfo? ToSourceInfo(V1.DeeplinkOptions options, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(violations);
        if (options.AppName.Length == 0 && options.AppIconUrl.Length == 0 && options.CallbackUrl.Length == 0)
        {
            return null;
        }

        // Bakong wants all three or none.
        var before = violations.Count;
        if (options.AppName.Length == 0)
        {
            violations.Add(new FieldViolation("deeplink.app_name", "required with app_icon_url and callback_url"));
        }
        else if (options.AppName.Length > MaxAppNameLength)
        {
            violations.Add(new FieldViolation("deeplink.app_name", "at most " + MaxAppNameLength + " characters"));
        }

        var icon = Url(options.AppIconUrl, "deeplink.app_icon_url", webOnly: true, violations);
        var callback = Url(options.CallbackUrl, "deeplink.callback_url", webOnly: false, violations);
        return violations.Count == before ? new DeeplinkSourceInfo(icon!, options.AppName, callback!) : null;
    }

    /// <summary>The deeplink for <paramref name="payment"/>: the short link, or why there is none.</summary>
    public async Task<V1.Deeplink> GetAsync(Payment payment, DeeplinkSourceInfo? sourceInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (payment.State != PaymentState.Pending)
        {
            return Failed(payment, "the payment is " + payment.State + ", not pending: its QR can no longer be paid");
        }

        var result = await bakong.GenerateDeeplinkAsync(payment.Qr, sourceInfo, cancellationToken).ConfigureAwait(false);
        return result.IsSuccess
            ? new V1.Deeplink { ShortLink = result.Value.AbsoluteUri }
            : Failed(payment, result.Failure);
    }

    private V1.Deeplink Failed(Payment payment, string reason)
    {
        GatewayLog.DeeplinkFailed(logger, payment.Id, reason);
        return new V1.Deeplink { FailureReason = reason };
    }

    private static Uri? Url(string value, string field, bool webOnly, List<FieldViolation> violations)
    {
        if (value.Length == 0)
        {
            violations.Add(new FieldViolation(field, "required with the other deeplink fields"));
            return null;
        }

        if (value.Length > MaxUrlLength)
        {
            violations.Add(new FieldViolation(field, value.Length + " characters, at most " + MaxUrlLength));
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (webOnly && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            violations.Add(new FieldViolation(field, webOnly ? "must be an absolute http(s) URL" : "must be an absolute URL"));
            return null;
        }

        return uri;
    }
}
