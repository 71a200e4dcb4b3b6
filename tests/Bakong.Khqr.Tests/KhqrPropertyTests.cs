using System.Globalization;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Khqr.Tests;

/// <summary>Properties over generated inputs: round trips, and no exception or hang on any string.</summary>
public sealed class KhqrPropertyTests
{
    private const long Now = 1767225600000;
    private static readonly FakeTimeProvider s_time = new(DateTimeOffset.FromUnixTimeMilliseconds(Now));

    // ASCII printable plus Khmer, the scripts a Cambodian shop uses.
    private static readonly Gen<char> s_char = Gen.OneOf(Gen.Char[' ', '~'], Gen.Char['\u1780', '\u17DD']);

    private static readonly Gen<string?> s_account = Gen.Select(
        Gen.String[Gen.Char.AlphaNumeric, 1, 15], Gen.String[Gen.Char.AlphaNumeric, 1, 15], (name, bank) => (string?)(name + "@" + bank));

    private static readonly Gen<KhqrRequest> s_request =
        Gen.Select(
            Gen.Bool,
            s_account,
            Text(1, 25),
            Text(1, 15).Null(),
            Text(1, 32),
            Text(1, 32),
            Gen.Bool,
            Gen.Long[0, 99_999_999_999],
            (merchant, account, name, city, second, bank, usd, cents) => new KhqrRequest
            {
                Type = merchant ? KhqrMerchantType.Merchant : KhqrMerchantType.Individual,
                BakongAccountId = account,
                MerchantName = name,
                MerchantCity = city,
                MerchantId = merchant ? second : null,
                AccountInformation = merchant ? null : second,
                AcquiringBank = bank,
                Currency = usd ? KhqrCurrency.Usd : KhqrCurrency.Khr,
                Amount = cents == 0 ? null : usd ? cents / 100m : cents,
                ExpirationTimestamp = cents == 0 ? null : Now + 600_000,
            })
        .Select(
            Text(1, 25).Null(), Text(1, 25).Null(), Text(1, 25).Null(), Text(1, 25).Null(),
            Gen.Bool, Text(1, 25), Text(1, 15).Null(),
            Gen.String[Gen.Char['0', '9'], 1, 4].Null(),
            (request, bill, store, terminal, purpose, hasLanguage, altName, altCity, mcc) => request with
            {
                BillNumber = bill,
                StoreLabel = store,
                TerminalLabel = terminal,
                PurposeOfTransaction = purpose,
                LanguagePreference = hasLanguage ? "km" : null,
                MerchantNameAlternateLanguage = hasLanguage ? altName : null,
                MerchantCityAlternateLanguage = hasLanguage ? altCity : null,
                MerchantCategoryCode = mcc,
            });

    [Fact]
    public void Every_generated_qr_verifies_and_decodes_back_to_its_input()
    {
        var generator = new KhqrGenerator(s_time);
        var verifier = new KhqrVerifier(s_time);
        s_request.Sample(request =>
        {
            var result = generator.Generate(request);
            if (!result.IsSuccess)
            {
                // Only an over-long template (tag 29/30 or 62) may refuse input drawn within the field limits.
                Assert.Equal(KhqrErrorCode.KhqrInvalid, result.Error.Code);
                return;
            }

            Assert.True(verifier.Verify(result.Value.Qr, requireTagOrder: true).IsValid, result.Value.Qr);
            var d = KhqrDecoder.Decode(result.Value.Qr);
            Assert.Equal(request.BakongAccountId, d.BakongAccountID);
            Assert.Equal(request.MerchantName, d.MerchantName);
            Assert.Equal(request.MerchantCity ?? "Phnom Penh", d.MerchantCity);
            Assert.Equal(request.MerchantId, d.MerchantID);
            Assert.Equal(request.AccountInformation, d.AccountInformation);
            Assert.Equal(request.AcquiringBank, d.AcquiringBank);
            Assert.Equal(((int)request.Currency).ToString(CultureInfo.InvariantCulture), d.TransactionCurrency);
            Assert.Equal(request.Amount, d.TransactionAmount is null ? null : decimal.Parse(d.TransactionAmount, CultureInfo.InvariantCulture));
            Assert.Equal(request.BillNumber, d.BillNumber);
            Assert.Equal(request.StoreLabel, d.StoreLabel);
            Assert.Equal(request.TerminalLabel, d.TerminalLabel);
            Assert.Equal(request.PurposeOfTransaction, d.PurposeOfTransaction);
            Assert.Equal(request.MerchantNameAlternateLanguage, d.MerchantNameAlternateLanguage);
            Assert.Equal(request.MerchantCityAlternateLanguage, d.MerchantCityAlternateLanguage);
            Assert.Equal(request.MerchantCategoryCode ?? "5999", d.MerchantCategoryCode);
            Assert.Equal(request.ExpirationTimestamp?.ToString(CultureInfo.InvariantCulture), d.ExpirationTimestamp);
            Assert.False(d.IsMalformed);
        });
    }

    [Fact]
    public void Verify_and_decode_answer_any_string_without_throwing()
    {
        var verifier = new KhqrVerifier(s_time);
        Gen.String[Gen.OneOf(s_char, Gen.Char["0123456789-+ x"]), 0, 300].Sample(s =>
        {
            _ = verifier.Verify(s);
            _ = verifier.Verify(KhqrVerifierTests.WithCrc(s + "63040000"));
            _ = KhqrDecoder.Decode(s);
        });
    }

    [Fact]
    public void Verify_and_decode_answer_any_mutation_of_a_valid_qr_without_throwing_and_both_verify_paths_agree()
    {
        var generator = new KhqrGenerator(s_time);
        var verifier = new KhqrVerifier(s_time);
        Gen.Select(s_request, Gen.Int[0, 1000], Gen.Char, Gen.Int[0, 2], (request, at, c, how) => (request, at, c, how)).Sample(t =>
        {
            var result = generator.Generate(t.request);
            if (!result.IsSuccess)
            {
                return;
            }

            var qr = result.Value.Qr;
            var i = t.at % qr.Length;
            var mutated = t.how switch
            {
                0 => qr.Remove(i, 1),
                1 => qr.Insert(i, t.c.ToString()),
                _ => string.Concat(qr.AsSpan(0, i), t.c.ToString(), qr.AsSpan(i + 1)),
            };
            var resealed = KhqrVerifierTests.WithCrc(mutated[..^4] + "0000");
            _ = verifier.Verify(mutated);
            _ = KhqrDecoder.Decode(resealed);

            // The fast path may only ever agree with the general reader.
            Assert.Equal(
                verifier.Verify(resealed, requireTagOrder: false, allowFastPath: false).IsValid,
                verifier.Verify(resealed, requireTagOrder: false, allowFastPath: true).IsValid);
        }, iter: 5000);
    }

    private static Gen<string> Text(int min, int max) => Gen.String[s_char, min, max];
}
