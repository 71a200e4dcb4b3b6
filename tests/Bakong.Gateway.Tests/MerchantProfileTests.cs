using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bakong.Grpc.Payments.V1;
using Bakong.Khqr;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests;

/// <summary>
/// A gateway configured with two merchant profiles (<c>market</c>, individual; <c>cafe</c>, merchant account) serving
/// four terminals, through the public surface: gRPC, REST, webhooks. The QR bytes against the official SDK are the
/// payments tests' (<c>MerchantProfileCreationTests</c>); here, what each surface says of the profile.
/// </summary>
public sealed class MerchantProfileTests : GatewayTest
{
    public MerchantProfileTests()
    {
        foreach (var (key, value) in TwoProfiles)
        {
            Gateway.Settings[key] = value;
        }
    }

    internal static Dictionary<string, string?> TwoProfiles => new()
    {
        ["Merchants:0:Id"] = "market",
        ["Merchants:0:BakongAccountId"] = "sokha_market@aclb",
        ["Merchants:0:Name"] = "Sokha Market",
        ["Merchants:0:NameKhmer"] = "ផ្សារសុខា",
        ["Merchants:0:MobileNumber"] = "85512345678",
        ["Merchants:0:Language"] = "km",
        ["Merchants:0:UpiAccount"] = "3954000000012345",
        ["Merchants:0:Terminals:0"] = "POS-A1",
        ["Merchants:0:Terminals:1"] = "POS-A2",
        ["Merchants:1:Id"] = "cafe",
        ["Merchants:1:Type"] = "merchant",
        ["Merchants:1:BakongAccountId"] = "riverside_cafe@abaa",
        ["Merchants:1:MerchantId"] = "RC-0001",
        ["Merchants:1:AcquiringBank"] = "ABA Bank",
        ["Merchants:1:Name"] = "Riverside Cafe",
        ["Merchants:1:StoreLabel"] = "Riverside",
        ["Merchants:1:DefaultCurrency"] = "USD",
        ["Merchants:1:Terminals:0"] = "POS-B1",
        ["Merchants:1:Terminals:1"] = "POS-B2",
    };

    [Theory]
    [InlineData("POS-A1", "market", "29", "sokha_market@aclb", "Sokha Market")]
    [InlineData("POS-A2", "market", "29", "sokha_market@aclb", "Sokha Market")]
    [InlineData("POS-B1", "cafe", "30", "riverside_cafe@abaa", "Riverside Cafe")]
    [InlineData("POS-B2", "cafe", "30", "riverside_cafe@abaa", "Riverside Cafe")]
    public async Task Each_terminals_payment_is_its_profiles_qr_and_says_which_profile(
        string terminal, string profile, string tag, string account, string name)
    {
        var request = Requests.Create("pay-" + terminal, riel: 8000, terminal: terminal);
        request.PurposeOfTransaction = "Lunch";
        request.BillNumber = "INV-" + terminal;

        var created = await Gateway.CreateAsync(request);

        var d = KhqrDecoder.Decode(created.Khqr);
        Assert.Equal(profile, created.MerchantProfileId);
        Assert.Equal((tag, account, name), (d.MerchantType, d.BakongAccountID, d.MerchantName));
        Assert.Equal(("INV-" + terminal, "Lunch"), (d.BillNumber, d.PurposeOfTransaction));
        Assert.Equal(("INV-" + terminal, "Lunch"), (created.BillNumber, created.PurposeOfTransaction));
        Assert.Equal(profile == "market" ? ("km", "ផ្សារសុខា", "85512345678", "3954000000012345") : (null, null, null, null),
            (d.LanguagePreference, d.MerchantNameAlternateLanguage, d.MobileNumber, d.UnionPayMerchant));
        Assert.Equal(profile == "cafe" ? "Riverside" : "", created.StoreLabel);
        Assert.Equal(created.MerchantProfileId, (await Gateway.GetAsync(created.PaymentId)).MerchantProfileId);
    }

    [Fact]
    public async Task Listing_one_terminals_payments_names_the_profile_that_serves_it_for_the_kiosk()
    {
        var market = await Gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "POS-A2", PageSize = 1 }, cancellationToken: Ct);
        var cafe = await Gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "POS-B1", PageSize = 1 }, cancellationToken: Ct);
        var all = await Gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct);

        Assert.Equal(("market", "Sokha Market", "ផ្សារសុខា", "km"), (market.Merchant.MerchantProfileId, market.Merchant.Name, market.Merchant.NameKhmer, market.Merchant.Language));
        Assert.Equal(("cafe", "Riverside Cafe", "", "en"), (cafe.Merchant.MerchantProfileId, cafe.Merchant.Name, cafe.Merchant.NameKhmer, cafe.Merchant.Language));
        Assert.Null(all.Merchant);
    }

    [Fact]
    public async Task A_terminal_no_profile_serves_is_invalid_argument_naming_terminal_id()
    {
        var e = await Assert.ThrowsAsync<RpcException>(
            () => Gateway.Payments.CreatePaymentAsync(Requests.Create("nobody", terminal: "POS-Z9"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("terminal_id", violation.Field);
    }

    [Theory]
    [InlineData("bill_number", "(KHQR error 10)")]
    [InlineData("purpose_of_transaction", "(KHQR error 42)")]
    public async Task A_too_long_bill_number_or_purpose_is_invalid_argument_naming_it_with_the_sdks_error_code(string field, string code)
    {
        var request = Requests.Create("long-" + field, terminal: "POS-A1");
        if (field == "bill_number")
        {
            request.BillNumber = new string('b', 26);
        }
        else
        {
            request.PurposeOfTransaction = new string('p', 26);
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.Contains(code, violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_takes_purpose_and_bill_number_and_answers_the_profile_id()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.PostAsJsonAsync(
            "/v1/payments",
            new
            {
                requestId = "rest-1",
                terminalId = "POS-B2",
                amount = new { currencyCode = "USD", units = 4, nanos = 500_000_000 },
                purposeOfTransaction = "Coffee",
                billNumber = "B2-77",
            },
            Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var payment = JsonDocument.Parse(body).RootElement.GetProperty("payment");
        Assert.Equal(("cafe", "Coffee", "B2-77"), (payment.GetProperty("merchantProfileId").GetString(), payment.GetProperty("purposeOfTransaction").GetString(), payment.GetProperty("billNumber").GetString()));
    }

    [Fact]
    public async Task A_paid_payments_webhook_carries_its_profile_id_and_purpose()
    {
        Gateway.EnableWebhooks();
        var request = Requests.Create("hook-cafe", riel: 9000, terminal: "POS-B1");
        request.PurposeOfTransaction = "Catering";
        var created = await Gateway.CreateAsync(request);
        await Gateway.WaitForFirstCheckAsync(created.PaymentId);

        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var received = await Gateway.Webhooks.NextAsync();

        Assert.Equal(("payment.paid", created.PaymentId), (received.Type, received.PaymentId));
        Assert.Equal("cafe", received.Data.GetProperty("merchant_profile_id").GetString());
        Assert.Equal("Catering", received.Data.GetProperty("purpose_of_transaction").GetString());
    }
}

/// <summary>What a live gateway checks of every profile before it serves.</summary>
public sealed class MerchantProfileLiveTests
{
    [Fact]
    public async Task A_live_gateway_asks_bakong_about_every_profiles_account_and_names_the_one_it_does_not_know()
    {
        var asked = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var gateway = new GatewayFactory
        {
            ConfigureHost = b => Network.FakeBakongAccounts.Answer(b, account =>
            {
                asked.Enqueue(account);
                return account == "riverside_cafe@abaa" ? Network.FakeBakongAccounts.NotFound : Network.FakeBakongAccounts.Exists;
            }),
        };
        gateway.Settings["Bakong:Mode"] = "Production";
        gateway.Settings["Bakong:BaseUrl"] = "http://localhost/bakong/";
        foreach (var (key, value) in MerchantProfileTests.TwoProfiles)
        {
            gateway.Settings[key] = value;
        }

        var e = Assert.ThrowsAny<Microsoft.Extensions.Options.OptionsValidationException>(() => gateway.Services);

        Assert.Equal(
            "Merchants:1:BakongAccountId riverside_cafe@abaa does not exist at Bakong Production (check_bakong_account): set the shop's own receiving Bakong account (name@bank).",
            Assert.Single(e.Failures));
        Assert.Equal(["sokha_market@aclb", "riverside_cafe@abaa"], asked);
    }

    [Fact]
    public async Task A_live_gateway_refuses_the_demo_account_in_any_profile_naming_its_key()
    {
        await using var gateway = LiveModeTests.Live("Sit");
        foreach (var (key, value) in MerchantProfileTests.TwoProfiles)
        {
            gateway.Settings[key] = value;
        }

        gateway.Settings["Merchants:1:BakongAccountId"] = "demo_shop@devb";

        var e = Assert.ThrowsAny<Microsoft.Extensions.Options.OptionsValidationException>(() => gateway.Services);

        Assert.Contains(
            "Merchants:1:BakongAccountId is the demo account demo_shop@devb: with Bakong:Mode=Sit, set your own receiving Bakong account (name@bank).",
            e.Failures);
    }
}
