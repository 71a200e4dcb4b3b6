using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Bakong.Gateway.Tests;

/// <summary>The payment QR as PNG and SVG, plain and KHQR card: over HTTP on the web endpoint and in the gRPC responses.</summary>
public sealed class QrImageTests(SharedGateway shared) : SharedGatewayTest(shared)
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    [Fact]
    public async Task The_card_svg_shows_the_khqr_mark_merchant_amount_and_currency_above_a_dashed_line()
    {
        var payment = await CreateAsync("card-1", riel: 25000);
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync($"/payments/{payment.PaymentId}/qr.svg?style=card", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType!.MediaType);
        var svg = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!;
        Assert.Equal(("512", "742"), ((string)svg.Attribute("width")!, (string)svg.Attribute("height")!)); // 20:29
        var texts = svg.Descendants(s_svg + "text").Select(t => t.Value).ToList();
        Assert.Equal(["KHQR", "Demo Shop", "25,000KHR"], texts);
        Assert.Contains(svg.Descendants(s_svg + "rect"), r => (string?)r.Attribute("fill") == "#E1232E");
        Assert.Contains(svg.Descendants(s_svg + "line"), l => l.Attribute("stroke-dasharray") is not null);
        Assert.Equal("KHQR: pay 25,000 KHR to Demo Shop", svg.Element(s_svg + "title")!.Value);
    }

    [Fact]
    public async Task The_plain_png_is_the_largest_whole_module_size_within_the_requested_width_and_scans_back_to_the_khqr()
    {
        var payment = await CreateAsync("png-1");
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync($"/payments/{payment.PaymentId}/qr.png?size=300", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        var png = await response.Content.ReadAsByteArrayAsync(Ct);
        var (width, height) = PngSize(png);
        Assert.Equal(width, height);
        Assert.InRange(width, 300 - 100, 300); // at most one module (< 100/4 px) short of the asked width
        Assert.Equal(payment.Khqr, PngQr.Decode(png));
    }

    [Fact]
    public async Task Images_are_cacheable_forever_and_revalidate_by_etag()
    {
        var payment = await CreateAsync("etag-1");
        using var http = Gateway.CreateClient();
        var url = $"/payments/{payment.PaymentId}/qr.svg";

        using var first = await http.GetAsync(url, Ct);
        var etag = first.Headers.ETag!;
        Assert.Equal("max-age=31536000, private, immutable", first.Headers.CacheControl!.ToString());
        Assert.False(etag.IsWeak);

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(etag);
        using var revalidated = await http.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);

        using var other = await http.GetAsync(url + "?size=1024", Ct);
        Assert.NotEqual(etag, other.Headers.ETag);
    }

    [Fact]
    public async Task An_unknown_payment_has_no_image()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync("/payments/no-such-payment/qr.png", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("qr.svg")]
    [InlineData("qr.png")]
    public async Task A_payment_id_of_8_kb_is_400_naming_it_without_echoing_it(string image)
    {
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync("/payments/" + new string('x', 8000) + "/" + image, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(new string('x', 16), body, StringComparison.Ordinal);
        Assert.Equal(["payment_id"], FieldsOf(body));
    }

    [Theory]
    [InlineData("qr.svg?style=fancy", "style")]
    [InlineData("qr.png?style=card", "style")]
    [InlineData("qr.png?size=big", "size")]
    [InlineData("qr.svg?size=63", "size")]
    [InlineData("qr.svg?size=4097", "size")]
    [InlineData("qr.png?size=100&size=200", "size")]
    public async Task A_bad_query_is_400_naming_the_parameter(string query, string parameter)
    {
        var payment = await CreateAsync("bad-query");
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync($"/payments/{payment.PaymentId}/{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal([parameter], FieldsOf(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task Create_and_get_carry_the_image_asked_for_with_the_same_bytes_as_the_http_endpoint()
    {
        var request = Requests.Create("grpc-image");
        request.QrImage = new QrImageOptions { Format = QrImageFormat.Svg, Style = QrImageStyle.Card, Size = 400 };

        var created = await Gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct);
        var got = await Gateway.Payments.GetPaymentAsync(
            new GetPaymentRequest { PaymentId = created.Payment.PaymentId, QrImage = new QrImageOptions { Format = QrImageFormat.Png } },
            cancellationToken: Ct);
        var plain = await Gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.Payment.PaymentId }, cancellationToken: Ct);

        using var http = Gateway.CreateClient();
        var svg = await http.GetByteArrayAsync($"/payments/{created.Payment.PaymentId}/qr.svg?style=card&size=400", Ct);
        var png = await http.GetByteArrayAsync($"/payments/{created.Payment.PaymentId}/qr.png", Ct);
        Assert.Equal(("image/svg+xml", QrImageStyle.Card, 400, 580), (created.QrImage.ContentType, created.QrImage.Style, created.QrImage.Width, created.QrImage.Height));
        Assert.Equal(svg, created.QrImage.Data.ToByteArray());
        Assert.Equal(("image/png", QrImageStyle.Plain), (got.QrImage.ContentType, got.QrImage.Style));
        Assert.Equal(png, got.QrImage.Data.ToByteArray());
        Assert.Equal(PngSize(png), (got.QrImage.Width, got.QrImage.Height));
        Assert.Null(plain.QrImage);
    }

    [Fact]
    public async Task A_card_png_or_a_bad_size_is_invalid_argument_naming_each_qr_image_field()
    {
        var request = Requests.Create("grpc-bad-image");
        request.QrImage = new QrImageOptions { Format = QrImageFormat.Png, Style = QrImageStyle.Card, Size = 10 };

        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var fields = e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order();
        Assert.Equal(["qr_image.size", "qr_image.style"], fields);
    }

    [Fact]
    public async Task A_khmer_merchant_name_is_written_into_a_well_formed_card()
    {
        const string Name = "ហាងកាហ្វេ <&> សុខា";
        // A gateway of its own: another merchant name, and the shared one's store is held by its host.
        await using var khmer = new GatewayFactory { ConfigureHost = b => b.UseSetting("Merchant:Name", Name) };
        var payments = new PaymentService.PaymentServiceClient(
            GrpcChannel.ForAddress(khmer.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = khmer.Server.CreateHandler() }));
        var request = Requests.Create("khmer-1");
        request.QrImage = new QrImageOptions { Format = QrImageFormat.Svg, Style = QrImageStyle.Card };

        var created = await payments.CreatePaymentAsync(request, cancellationToken: Ct);

        var svg = XDocument.Parse(Encoding.UTF8.GetString(created.QrImage.Data.Span)).Root!;
        Assert.Contains(Name, svg.Descendants(s_svg + "text").Select(t => t.Value));
        using var http = khmer.CreateClient();
        var png = await http.GetByteArrayAsync($"/payments/{created.Payment.PaymentId}/qr.png", Ct);
        Assert.Equal(created.Payment.Khqr, PngQr.Decode(png));
    }

    private async Task<Payment> CreateAsync(string requestId, long riel = 5000) =>
        (await Gateway.Payments.CreatePaymentAsync(Requests.Create(requestId, riel), cancellationToken: Ct)).Payment;

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>The fields a google.rpc.Status JSON's BadRequest names.</summary>
    private static List<string?> FieldsOf(string status)
    {
        using var json = JsonDocument.Parse(status);
        Assert.Equal(3, json.RootElement.GetProperty("code").GetInt32());
        return [.. json.RootElement.GetProperty("details").EnumerateArray()
            .SelectMany(d => d.GetProperty("fieldViolations").EnumerateArray())
            .Select(v => v.GetProperty("field").GetString())];
    }
}
