using System.CommandLine;

namespace Bakong.Cli.Clients;

/// <summary>
/// A kiosk's pairing URL: <c>&lt;web endpoint&gt;/kiosk?terminal=&lt;id&gt;#key=&lt;key&gt;</c>. Opened once in the
/// kiosk's browser, the page keeps the key and sends it on every call. The key is in the fragment because a browser
/// never sends a fragment to a server, so it reaches no request line, access log or proxy; the terminal is in the
/// query because the page already takes it from there (it is no secret). An operator's pairing URL is the same for the
/// dashboard: <c>&lt;web endpoint&gt;/admin#key=&lt;key&gt;</c> (<c>--admin-url</c>).
/// </summary>
internal static class KioskPairing
{
    /// <summary>The environment variable that gives <c>--kiosk-url</c>'s value when the option is not given.</summary>
    public const string UrlVariable = "BAKONG_KIOSK_URL";

    /// <summary>The environment variable that gives <c>--admin-url</c>'s value when the option is not given.</summary>
    public const string AdminUrlVariable = "BAKONG_ADMIN_URL";

    /// <summary>The gateway's Web endpoint as <c>dotnet run --project src/Bakong.Gateway</c> starts it.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5081";

    /// <summary>
    /// <c>--kiosk-url</c>: the gateway's Web endpoint as the kiosk's browser reaches it. The CLI cannot know it (the
    /// gateway may be stopped, and the kiosk sees it through the shop's LAN, not loopback), so it is given; the default
    /// is the gateway's own default, right for a kiosk on the gateway's machine.
    /// </summary>
    public static Option<Uri> UrlOption() => UrlOption(
        "--kiosk-url",
        UrlVariable,
        "For a kiosk: the gateway's Web endpoint as the kiosk's browser reaches it, e.g. http://192.168.1.10:5081; the pairing URL is its /kiosk page.");

    /// <summary><c>--admin-url</c>: as <c>--kiosk-url</c>, for an operator's browser and the dashboard at <c>/admin</c>.</summary>
    public static Option<Uri> AdminUrlOption() => UrlOption(
        "--admin-url",
        AdminUrlVariable,
        "For an operator: the gateway's Web endpoint as the operator's browser reaches it, e.g. http://192.168.1.10:5081; the pairing URL is its /admin dashboard.");

    private static Option<Uri> UrlOption(string option, string variable, string description) => new(option)
    {
        Description = description + " Default: $" + variable + ", else " + DefaultUrl + ".",
        HelpName = "url",
        DefaultValueFactory = _ => new Uri(DefaultUrl),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value
                : CliVariables.Get(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
                : DefaultUrl;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0)
            {
                return uri;
            }

            var name = result.Tokens.Count > 0 ? option : variable;
            result.AddError($"{name}: '{(text.Length <= 80 ? text : text[..80] + "…")}' is not an http:// or https:// URL without a query or fragment (the gateway's Web endpoint, e.g. http://192.168.1.10:5081).");
            return null;
        },
    };

    /// <summary>The pairing URL of <paramref name="key"/> for the page at <paramref name="webEndpoint"/> showing <paramref name="terminalId"/>.</summary>
    public static string Url(Uri webEndpoint, string terminalId, string key)
    {
        ArgumentNullException.ThrowIfNull(webEndpoint);

        // Relative to the endpoint's path, so a gateway behind a proxy at https://shop.lan/pay/ pairs to /pay/kiosk.
        var root = webEndpoint.AbsoluteUri.EndsWith('/') ? webEndpoint : new Uri(webEndpoint.AbsoluteUri + "/");
        return new Uri(root, "kiosk?terminal=" + Uri.EscapeDataString(terminalId)).AbsoluteUri + "#key=" + key;
    }

    /// <summary>The dashboard's pairing URL of an operator's <paramref name="key"/> at <paramref name="webEndpoint"/>.</summary>
    public static string AdminUrl(Uri webEndpoint, string key)
    {
        ArgumentNullException.ThrowIfNull(webEndpoint);
        var root = webEndpoint.AbsoluteUri.EndsWith('/') ? webEndpoint : new Uri(webEndpoint.AbsoluteUri + "/");
        return new Uri(root, "admin").AbsoluteUri + "#key=" + key;
    }
}
