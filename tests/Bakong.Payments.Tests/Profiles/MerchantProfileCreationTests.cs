using System.Globalization;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.Payments.Configuration;
using Bakong.Payments.Creation;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Profiles;

/// <summary>
/// A gateway with two merchant profiles (<c>market</c>: individual, <c>cafe</c>: merchant account) serving four
/// terminals, configured as <c>Merchants:N:*</c>. The cases and what the official SDK made of them are in
/// <c>sdk-1.0.20-profiles.jsonl</c>, recorded by <c>tests/Bakong.Khqr.Tests/Vectors/generator/generate-profile-vectors.cjs</c>.
/// </summary>
public sealed class MerchantProfileCreationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(1767225600000));

    public MerchantProfileCreationTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Each_terminals_payment_is_byte_identical_to_the_official_sdks_qr_for_its_profile_and_request()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        Assert.Equal(4, cases.Select(c => c.Request.TerminalId).Distinct().Count());

        foreach (var c in cases)
        {
            _clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(c.Now));
            var payment = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(c.Request, Ct)).Payment;

            Assert.Equal(c.SdkQr, payment.Qr);
            Assert.Equal(c.SdkMd5, payment.Md5);
            Assert.Equal(c.Profile, payment.MerchantProfileId);
            AssertCarriesProfileAndRequest(payment, profiles.Find(c.Profile)!, c.Request);
        }
    }

    [Fact]
    public async Task A_payment_with_the_gateways_own_bill_number_carries_every_tag_of_its_terminals_profile()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        foreach (var c in cases)
        {
            var request = c.Request with { RequestId = "own-" + c.Request.RequestId, BillNumber = null };
            var payment = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(request, Ct)).Payment;

            Assert.Equal(PaymentIds.BillNumberFor(payment.Id), payment.BillNumber);
            AssertCarriesProfileAndRequest(payment, profiles.Find(c.Profile)!, request);
        }
    }

    [Fact]
    public async Task The_profile_id_purpose_and_pos_bill_number_are_stored_and_read_back()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        var c = cases.First(c => c.Request.PurposeOfTransaction is not null && c.Profile == "cafe");

        var created = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(c.Request, Ct)).Payment;

        var stored = await _store.GetAsync(created.Id, Ct);
        Assert.NotNull(stored);
        Assert.Equal("cafe", stored.MerchantProfileId);
        Assert.Equal("riverside_cafe@abaa", stored.ReceivingAccount);
        Assert.Equal(c.Request.PurposeOfTransaction, stored.Parameters.PurposeOfTransaction);
        Assert.Equal(c.Request.BillNumber, stored.Parameters.BillNumber);
        Assert.Equal(c.Request.BillNumber, stored.BillNumber);
        Assert.Equal(created.ParametersHash, stored.ParametersHash);
    }

    [Fact]
    public async Task Two_payments_with_one_pos_bill_number_in_the_same_millisecond_still_get_their_own_qr_and_md5()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        var request = cases[0].Request;

        // The clock does not move: same bill number, amount, terminal, labels, instant. Only the request id differs.
        var first = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(request with { RequestId = "retry-1" }, Ct)).Payment;
        var second = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(request with { RequestId = "retry-2" }, Ct)).Payment;

        Assert.Equal(first.BillNumber, second.BillNumber);
        Assert.NotEqual(first.Md5, second.Md5);
        Assert.Equal(
            long.Parse(KhqrDecoder.Decode(first.Qr).CreationTimestamp!, CultureInfo.InvariantCulture) + 1,
            long.Parse(KhqrDecoder.Decode(second.Qr).CreationTimestamp!, CultureInfo.InvariantCulture));
        Assert.Equal(second.CreateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), KhqrDecoder.Decode(second.Qr).CreationTimestamp);
    }

    [Fact]
    public async Task A_retry_with_the_same_request_id_replays_and_another_bill_number_or_purpose_is_a_conflict_naming_them()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        var request = cases.First(c => c.Request.PurposeOfTransaction is not null).Request;
        var created = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(request, Ct)).Payment;

        Assert.Equal(created.Id, Assert.IsType<CreatePaymentResult.Replayed>(await creation.CreateAsync(request, Ct)).Payment.Id);
        var conflict = Assert.IsType<CreatePaymentResult.Conflict>(
            await creation.CreateAsync(request with { BillNumber = "OTHER-1", PurposeOfTransaction = "Other" }, Ct));
        Assert.Equal(["purpose_of_transaction", "bill_number"], conflict.Fields);
    }

    [Fact]
    public void The_hash_of_a_request_without_purpose_or_pos_bill_number_is_the_one_stored_before_they_existed()
    {
        // v1's canonical form of these parameters, as stored by earlier versions: a replay of an old request still matches.
        var parameters = new PaymentParameters
        {
            TerminalId = "till-1", Money = Money.Create(KhqrCurrency.Usd, 1.50m), OrderRef = "o", ExpiresIn = TimeSpan.FromMinutes(5),
        };
        Assert.Equal(
            PaymentParametersHash.Compute(parameters),
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("v1|6:till-1|3:USD|3:150|1:o|10:3000000000|0:|0:"u8)));
        Assert.NotEqual(PaymentParametersHash.Compute(parameters), PaymentParametersHash.Compute(parameters with { BillNumber = "B-1" }));
        Assert.NotEqual(
            PaymentParametersHash.Compute(parameters with { BillNumber = "x" }),
            PaymentParametersHash.Compute(parameters with { PurposeOfTransaction = "x" }));
    }

    [Theory]
    [InlineData("bill_number", "12345678901234567890123456", "Bill Name Length is invalid (KHQR error 10): 26 characters, at most 25")]
    [InlineData("purpose_of_transaction", "12345678901234567890123456", "Purpose of Transaction Length is invalid (KHQR error 42): 26 characters, at most 25")]
    [InlineData("bill_number", "INV-1\nINV-2", "control characters (line breaks, tabs) are not allowed")]
    [InlineData("purpose_of_transaction", "tea\t", "control characters (line breaks, tabs) are not allowed")]
    public async Task A_bad_bill_number_or_purpose_is_invalid_naming_the_field_with_the_sdks_error_code(string field, string value, string description)
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);
        var request = field == "bill_number" ? cases[0].Request with { BillNumber = value } : cases[0].Request with { PurposeOfTransaction = value };

        var violation = Assert.Single(Assert.IsType<CreatePaymentResult.Invalid>(await creation.CreateAsync(request, Ct)).Violations);

        Assert.Equal(field, violation.Field);
        Assert.Equal(description, violation.Description);
    }

    [Fact]
    public async Task Tag_62_over_99_characters_with_the_profiles_mobile_and_store_label_is_invalid_naming_the_requests_field()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);

        // market: mobile (11) and store label (8); with a 24-character bill number and two 25-character fields, 113 > 99.
        var request = cases[0].Request with { BillNumber = null, TerminalLabel = new string('t', 25), PurposeOfTransaction = new string('p', 25) };
        var violation = Assert.Single(Assert.IsType<CreatePaymentResult.Invalid>(await creation.CreateAsync(request, Ct)).Violations);

        Assert.Equal("purpose_of_transaction", violation.Field);
        Assert.Contains("(KHQR error 8)", violation.Description, StringComparison.Ordinal);
        Assert.Contains("tag 62", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_terminal_no_profile_serves_is_invalid_naming_terminal_id_when_every_profile_lists_its_terminals()
    {
        var (profiles, cases) = Vectors();
        var creation = TestPayments.Creation(_store, _clock, profiles);

        var violation = Assert.Single(Assert.IsType<CreatePaymentResult.Invalid>(
            await creation.CreateAsync(cases[0].Request with { TerminalId = "POS-Z9" }, Ct)).Violations);

        Assert.Equal("terminal_id", violation.Field);
        Assert.Contains("no merchant profile serves this terminal", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_profile_without_a_terminal_list_serves_every_terminal_the_others_do_not_list()
    {
        var (profiles, cases) = Vectors();
        profiles.Find("cafe")!.Terminals.Clear();
        var creation = TestPayments.Creation(_store, _clock, profiles);

        var listed = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(cases[0].Request, Ct)).Payment;
        var other = Assert.IsType<CreatePaymentResult.Created>(
            await creation.CreateAsync(cases[0].Request with { RequestId = "other", TerminalId = "POS-Z9", BillNumber = null, Amount = 4.50m }, Ct)).Payment;

        Assert.Equal("market", listed.MerchantProfileId);
        Assert.Equal("cafe", other.MerchantProfileId);
        Assert.Equal("USD", other.Money.CurrencyCode); // the serving profile's default currency
        Assert.Equal("riverside_cafe@abaa", other.ReceivingAccount);
        Assert.True(profiles.IsOurAccount("RIVERSIDE_cafe@abaa"));
        Assert.True(profiles.IsOurAccount("sokha_market@aclb"));
        Assert.False(profiles.IsOurAccount("someone@else"));
    }

    /// <summary>Every tag the gateway sets, decoded, against the profile and the request it came from.</summary>
    private static void AssertCarriesProfileAndRequest(Payment payment, MerchantProfile profile, CreatePaymentRequest request)
    {
        var d = KhqrDecoder.Decode(payment.Qr);
        var currency = string.IsNullOrEmpty(request.Currency) ? profile.DefaultCurrency : request.Currency;
        Assert.False(d.IsMalformed);
        Assert.Equal("01", d.PayloadFormatIndicator);
        Assert.Equal("12", d.PointOfInitiationMethod);
        Assert.Equal(profile.IsMerchantQr ? "30" : "29", d.MerchantType);
        Assert.Equal(profile.BakongAccountId, d.BakongAccountID);
        Assert.Equal(profile.IsMerchantQr ? profile.MerchantId : null, d.MerchantID);
        Assert.Equal(profile.IsMerchantQr ? null : profile.AccountInformation, d.AccountInformation);
        Assert.Equal(profile.AcquiringBank, d.AcquiringBank);
        Assert.Equal(currency == "KHR" ? profile.UpiAccount : null, d.UnionPayMerchant);
        Assert.Equal(profile.CategoryCode, d.MerchantCategoryCode);
        Assert.Equal(currency == "KHR" ? "116" : "840", d.TransactionCurrency);
        Assert.Equal(payment.Money.ToKhqrAmount(), d.TransactionAmount);
        Assert.Equal(request.Amount, payment.Money.Amount);
        Assert.Equal("KH", d.CountryCode);
        Assert.Equal(profile.Name, d.MerchantName);
        Assert.Equal(profile.City, d.MerchantCity);
        Assert.Equal(request.BillNumber ?? payment.BillNumber, d.BillNumber);
        Assert.Equal(profile.MobileNumber, d.MobileNumber);
        Assert.Equal(request.StoreLabel ?? profile.StoreLabel, d.StoreLabel);
        Assert.Equal(request.TerminalLabel, d.TerminalLabel);
        Assert.Equal(request.PurposeOfTransaction, d.PurposeOfTransaction);
        Assert.Equal(profile.NameKhmer is null ? null : "km", d.LanguagePreference);
        Assert.Equal(profile.NameKhmer, d.MerchantNameAlternateLanguage);
        Assert.Equal(profile.CityKhmer, d.MerchantCityAlternateLanguage);
        Assert.Equal(payment.CreateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), d.CreationTimestamp);
        Assert.Equal(payment.ExpireTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), d.ExpirationTimestamp);
        Assert.Equal(profile.BakongAccountId, payment.ReceivingAccount);
        Assert.Equal(profile.Id, payment.MerchantProfileId);
        Assert.Equal(request.StoreLabel ?? profile.StoreLabel, payment.Parameters.StoreLabel);
    }

    /// <summary>The recorded profiles, read as the gateway reads <c>Merchants</c>, and the cases.</summary>
    private static (MerchantProfiles Profiles, List<ProfileCase> Cases) Vectors()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Profiles", "sdk-1.0.20-profiles.jsonl"));
        var settings = new Dictionary<string, string?>();
        var index = 0;
        foreach (var profile in JsonDocument.Parse(lines[0]).RootElement.GetProperty("profiles").EnumerateArray())
        {
            foreach (var property in profile.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    var i = 0;
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        settings[$"Merchants:{index}:{property.Name}:{i++}"] = item.GetString();
                    }
                }
                else
                {
                    settings[$"Merchants:{index}:{property.Name}"] = property.Value.GetString();
                }
            }

            index++;
        }

        var profiles = new MerchantProfiles();
        MerchantProfiles.Load(profiles, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        Assert.True(new MerchantProfilesValidator().Validate(null, profiles).Succeeded);

        var cases = new List<ProfileCase>();
        foreach (var line in lines.Skip(1))
        {
            var root = JsonDocument.Parse(line).RootElement;
            var r = root.GetProperty("request");
            cases.Add(new ProfileCase(
                root.GetProperty("now").GetInt64(),
                root.GetProperty("profile").GetString()!,
                new CreatePaymentRequest
                {
                    RequestId = root.GetProperty("id").GetString()!,
                    TerminalId = r.GetProperty("terminalId").GetString()!,
                    Currency = r.GetProperty("currency").GetString(),
                    Amount = decimal.Parse(r.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture),
                    ExpiresIn = TimeSpan.FromMilliseconds(r.GetProperty("expiresInMs").GetInt64()),
                    BillNumber = r.GetProperty("billNumber").GetString(),
                    StoreLabel = Optional(r, "storeLabel"),
                    TerminalLabel = Optional(r, "terminalLabel"),
                    PurposeOfTransaction = Optional(r, "purposeOfTransaction"),
                },
                root.GetProperty("sdk").GetProperty("qr").GetString()!,
                root.GetProperty("sdk").GetProperty("md5").GetString()!));
        }

        return (profiles, cases);
    }

    private static string? Optional(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.GetString() : null;

    private sealed record ProfileCase(long Now, string Profile, CreatePaymentRequest Request, string SdkQr, string SdkMd5);
}
