using Bakong.OpenApi.Client;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Deeplinks;

/// <summary>
/// The optional deeplink of <c>CreatePayment</c>: Bakong's <c>generate_deeplink_by_qr</c> for the payment's QR. Asked
/// after the payment is saved, and never an error: without a link the payment is still payable by its QR, so the
/// reason goes into the result (and the log) instead.
/// </summary>
public sealed class PaymentDeeplinks
{
    private readonly IBakongClient _bakong;
    private readonly ILogger _logger;

    public PaymentDeeplinks(IBakongClient bakong, ILogger<PaymentDeeplinks> logger)
    {
        ArgumentNullException.ThrowIfNull(bakong);
        ArgumentNullException.ThrowIfNull(logger);
        _bakong = bakong;
        _logger = logger;
    }

    /// <summary>Bakong's <c>sourceInfo</c> (null for none), or violations named by the request's field paths (<c>deeplink.app_name</c>).</summary>
    public static DeeplinkSourceInfo? ToSourceInfo(DeeplinkRequest request, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(violations);
        if (request.AppName.Length == 0 && request.AppIconUrl.Length == 0 && request.CallbackUrl.Length == 0)
        {
            return null;
        }

        // Bakong wants all three or none.
        var before = violations.Count;
        if (request.AppName.Length == 0)
        {
            violations.Add(new FieldViolation("deeplink.app_name", "required with app_icon_url and callback_url"));
        }
        else if (request.AppName.Length > PaymentLimits.DeeplinkAppName)
        {
            violations.Add(new FieldViolation("deeplink.app_name", "at most " + PaymentLimits.DeeplinkAppName + " characters"));
        }

        var icon = Url(request.AppIconUrl, "deeplink.app_icon_url", webOnly: true, violations);
        var callback = Url(request.CallbackUrl, "deeplink.callback_url", webOnly: false, violations);
        return violations.Count == before ? new DeeplinkSourceInfo(icon!, request.AppName, callback!) : null;
    }

    /// <summary>The deeplink for <paramref name="payment"/>: the short link, or why there is none.</summary>
    public async Task<DeeplinkResult> GetAsync(Payment payment, DeeplinkSourceInfo? sourceInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (payment.State != PaymentState.Pending)
        {
            return Failed(payment, "the payment is " + payment.State + ", not pending: its QR can no longer be paid");
        }

        var result = await _bakong.GenerateDeeplinkAsync(payment.Qr, sourceInfo, cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? new DeeplinkResult(result.Value, null) : Failed(payment, result.Failure);
    }

    private DeeplinkResult Failed(Payment payment, string reason)
    {
        PaymentLog.DeeplinkFailed(_logger, payment.Id, reason);
        return new DeeplinkResult(null, reason);
    }

    private static Uri? Url(string value, string field, bool webOnly, List<FieldViolation> violations)
    {
        if (value.Length == 0)
        {
            violations.Add(new FieldViolation(field, "required with the other deeplink fields"));
            return null;
        }

        if (value.Length > PaymentLimits.DeeplinkUrl)
        {
            violations.Add(new FieldViolation(field, value.Length + " characters, at most " + PaymentLimits.DeeplinkUrl));
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

/// <summary>The deeplink a <c>CreatePayment</c> asks for, as it arrived: an empty string for a field not given.</summary>
public sealed record DeeplinkRequest(string AppName, string AppIconUrl, string CallbackUrl);

/// <summary>A deeplink: the short link, or (without one) why there is none, for people.</summary>
public sealed record DeeplinkResult(Uri? ShortLink, string? FailureReason);
