using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// Bakong's <c>check_bakong_account</c> for a live-mode gateway on a TestServer: the gateway asks it before it serves,
/// when the TestServer is not started yet and cannot answer. Other calls go on to the TestServer as before.
/// </summary>
internal static class FakeBakongAccounts
{
    public const string Exists = """{"responseCode":0,"responseMessage":"Account ID exists","errorCode":null,"data":null}""";
    public const string NotFound = """{"responseCode":1,"responseMessage":"Account ID not found","errorCode":11,"data":null}""";

    /// <summary>Production's answer outside Cambodia: an nginx 403 HTML page (no answer about the account).</summary>
    public const string GeoBlocked = "<html><body>403 Forbidden</body></html>";

    /// <summary>The typed Bakong client's IHttpClientFactory name (<c>AddHttpClient&lt;IBakongClient, BakongClient&gt;</c>).</summary>
    private const string ClientName = "IBakongClient";

    public static void Answer(IWebHostBuilder builder, string answer) => Answer(builder, _ => answer);

    /// <summary>Answers each account as <paramref name="answerFor"/> says (it gets the <c>accountId</c> asked about).</summary>
    public static void Answer(IWebHostBuilder builder, Func<string, string> answerFor) =>
        builder.ConfigureTestServices(services => services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b =>
        {
            if (b.Name == ClientName)
            {
                b.PrimaryHandler = new Handler(answerFor, b.PrimaryHandler);
            }
        })));

    private sealed class Handler(Func<string, string> answerFor, HttpMessageHandler next) : DelegatingHandler(next)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri?.AbsolutePath.EndsWith("/v1/check_bakong_account", StringComparison.Ordinal) != true)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            using var body = System.Text.Json.JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var answer = answerFor(body.RootElement.GetProperty("accountId").GetString()!);
            var html = answer == GeoBlocked;
            return new HttpResponseMessage(html ? HttpStatusCode.Forbidden : HttpStatusCode.OK)
            {
                Content = new StringContent(answer, Encoding.UTF8, html ? "text/html" : "application/json"),
            };
        }
    }
}
