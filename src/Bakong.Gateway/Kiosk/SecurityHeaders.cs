namespace Bakong.Gateway.Kiosk;

/// <summary>
/// The headers a page or image a browser shows gets from the gateway (the kiosk page and the QR images): no other site
/// may frame it (a hostile page could lay its own QR over the gateway's, or trick a tap on Cancel), the browser must not
/// guess another type than the one sent (an SVG or script read as HTML), and no address of the gateway or a payment id
/// leaves in a Referer. The kiosk page loads only its own script, style, font (the Khmer font ships with the page, so a
/// kiosk needs no system font) and the gateway's QR images, and calls only its own origin; an image gets nothing at all
/// (an SVG opened on its own runs no script). The page fetches a QR image itself (the image needs the kiosk's key in a
/// header, which an img src cannot send) and puts the SVG into the page, where its Khmer text is drawn with the page's
/// font; the policy runs no inline script or handler in it.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// The kiosk page's policy: its files (script, style, font, images) and its own origin only, no inline script or
    /// style, not framed.
    /// </summary>
    public const string PagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>An image's policy: nothing to load or run, not framed.</summary>
    public const string ImagePolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response, string contentSecurityPolicy)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = contentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";

        // For browsers that know X-Frame-Options but not frame-ancestors.
        headers.XFrameOptions = "DENY";
    }
}
