using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Bakong.Khqr.Generation;
using Bakong.Khqr.Hashing;

namespace Bakong.Khqr;

/// <summary>
/// Generates KHQR payloads byte-identical to the official SDK (bakong-khqr 1.0.20) for every input it accepts,
/// and rejects every input it rejects with the same error code, checking in the SDK's order so that the first
/// fault named is the same. Where the SDK would emit a QR that fails its own verify (a template over 99
/// characters), this rejects instead.
/// </summary>
/// <remarks>Allocates only its result: the payload, its md5 and the <see cref="KhqrCode"/> holding them.</remarks>
public sealed class KhqrGenerator(TimeProvider timeProvider)
{
    // Every field at its maximum, before the template check rejects the oversized ones, is about 580 characters.
    private const int MaxPayloadChars = 640;

    private readonly TimeProvider _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

    /// <summary>Generates the KHQR of <paramref name="request"/>, created now (tag 99 sub-tag 00 of a dynamic QR).</summary>
    public KhqrResult<KhqrCode> Generate(KhqrRequest request) => Generate(request, _timeProvider.GetUtcNow());

    /// <summary>
    /// Generates the KHQR of <paramref name="request"/> as if created at <paramref name="now"/> (to the millisecond): for
    /// a caller whose record of the creation must be the QR's own, exactly.
    /// </summary>
    [SkipLocalsInit]
    public KhqrResult<KhqrCode> Generate(KhqrRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);

        var isMerchant = request.Type == KhqrMerchantType.Merchant;
        var isDynamic = (request.Amount is { } amount && amount != 0) || request.AmountInputError is not null;
        var upi = Optional(request.UpiMerchantAccount);
        Span<char> buffer = stackalloc char[MaxPayloadChars];
        var tlv = new TlvWriter(buffer);

        tlv.Field(EmvTags.PayloadFormatIndicator, "01");
        tlv.Field(EmvTags.PointOfInitiationMethod, isDynamic ? "12" : "11");
        if (upi is not null)
        {
            if (upi.Length > KhqrLimits.UpiMerchantAccount)
            {
                return TooLong(KhqrErrorCode.UpiAccountInformationLengthInvalid, "upiMerchantAccount", upi, KhqrLimits.UpiMerchantAccount);
            }

            tlv.Field(EmvTags.UnionPayMerchantAccount, upi);
        }

        if (WriteAccountTemplate(ref tlv, request, isMerchant) is { } accountError)
        {
            return accountError;
        }

        var mcc = Optional(request.MerchantCategoryCode) ?? "5999";
        if (mcc.Length > KhqrLimits.MerchantCategoryCode)
        {
            return TooLong(KhqrErrorCode.MerchantCodeLengthInvalid, "merchantCategoryCode", mcc, KhqrLimits.MerchantCategoryCode);
        }

        if (!IsAsciiDigits(mcc))
        {
            return new KhqrError(KhqrErrorCode.InvalidMerchantCategoryCode, "merchantCategoryCode", "digits 0-9 only, 0 to 9999");
        }

        tlv.Field(EmvTags.MerchantCategoryCode, mcc);

        if (request.CurrencyInputError is { } currencyError)
        {
            return new KhqrError(currencyError, "currency", "116 (KHR) or 840 (USD)");
        }

        if (request.Currency is not (KhqrCurrency.Khr or KhqrCurrency.Usd))
        {
            return new KhqrError(KhqrErrorCode.UnsupportedCurrency, "currency", "116 (KHR) or 840 (USD)");
        }

        tlv.Field(EmvTags.TransactionCurrency, request.Currency == KhqrCurrency.Khr ? "116" : "840");
        if (upi is not null && request.Currency == KhqrCurrency.Usd)
        {
            return new KhqrError(KhqrErrorCode.UpiAccountInformationInvalidCurrency, "upiMerchantAccount", "UnionPay QRs are riel only");
        }

        if (isDynamic)
        {
            if (request.AmountInputError is { } amountError)
            {
                return new KhqrError(amountError, "amount", "not a number");
            }

            Span<char> amountText = stackalloc char[KhqrAmount.MaxFormattedChars];
            if (!KhqrAmount.TryFormat(request.Amount!.Value, request.Currency, amountText, out var written, out var why))
            {
                return new KhqrError(KhqrErrorCode.TransactionAmountInvalid, "amount", why);
            }

            tlv.Field(EmvTags.TransactionAmount, amountText[..written]);
        }

        tlv.Field(EmvTags.CountryCode, "KH");

        if (string.IsNullOrEmpty(request.MerchantName))
        {
            return new KhqrError(KhqrErrorCode.MerchantNameRequired, "merchantName");
        }

        if (request.MerchantName.Length > KhqrLimits.MerchantName)
        {
            return TooLong(KhqrErrorCode.MerchantNameLengthInvalid, "merchantName", request.MerchantName, KhqrLimits.MerchantName);
        }

        tlv.Field(EmvTags.MerchantName, request.MerchantName);

        var city = Optional(request.MerchantCity) ?? "Phnom Penh";
        if (city.Length > KhqrLimits.MerchantCity)
        {
            return TooLong(KhqrErrorCode.MerchantCityLengthInvalid, "merchantCity", city, KhqrLimits.MerchantCity);
        }

        tlv.Field(EmvTags.MerchantCity, city);

        if (WriteAdditionalData(ref tlv, request) is { } additionalDataError)
        {
            return additionalDataError;
        }

        if (WriteLanguageTemplate(ref tlv, request) is { } languageError)
        {
            return languageError;
        }

        if (isDynamic && WriteTimestamps(ref tlv, request, now.ToUnixTimeMilliseconds()) is { } timestampError)
        {
            return timestampError;
        }

        if (tlv.OversizedTemplate is { } oversized)
        {
            return new KhqrError(
                KhqrErrorCode.KhqrInvalid,
                "tag " + oversized,
                "the template would be longer than 99 characters, which EMV cannot encode; shorten its fields");
        }

        return KhqrResult<KhqrCode>.Success(Seal(ref tlv));
    }

    // Tag 29/30: the SDK checks the account, then (merchant) the merchant ID and bank, or (individual) the optional
    // account information and bank.
    private static KhqrError? WriteAccountTemplate(ref TlvWriter tlv, KhqrRequest request, bool isMerchant)
    {
        var account = request.BakongAccountId;
        if (string.IsNullOrEmpty(account))
        {
            return new KhqrError(KhqrErrorCode.BakongAccountIdRequired, "bakongAccountID");
        }

        if (account.Length > KhqrLimits.BakongAccountId)
        {
            return TooLong(KhqrErrorCode.BakongAccountIdLengthInvalid, "bakongAccountID", account, KhqrLimits.BakongAccountId);
        }

        if (!account.Contains('@', StringComparison.Ordinal))
        {
            return new KhqrError(KhqrErrorCode.BakongAccountIdInvalid, "bakongAccountID", "expected name@bank");
        }

        var mark = tlv.BeginTemplate(isMerchant ? EmvTags.MerchantAccount : EmvTags.IndividualAccount);
        tlv.Field("00", account);
        string? second;
        string? bank;
        if (isMerchant)
        {
            second = request.MerchantId;
            if (string.IsNullOrEmpty(second))
            {
                return new KhqrError(KhqrErrorCode.MerchantIdRequired, "merchantID");
            }

            if (second.Length > KhqrLimits.MerchantId)
            {
                return TooLong(KhqrErrorCode.MerchantIdLengthInvalid, "merchantID", second, KhqrLimits.MerchantId);
            }

            bank = request.AcquiringBank;
            if (string.IsNullOrEmpty(bank))
            {
                return new KhqrError(KhqrErrorCode.AcquiringBankRequired, "acquiringBank");
            }
        }
        else
        {
            second = Optional(request.AccountInformation);
            if (second is not null && second.Length > KhqrLimits.AccountInformation)
            {
                return TooLong(KhqrErrorCode.AccountInformationLengthInvalid, "accountInformation", second, KhqrLimits.AccountInformation);
            }

            bank = Optional(request.AcquiringBank);
        }

        if (bank is not null && bank.Length > KhqrLimits.AcquiringBank)
        {
            return TooLong(KhqrErrorCode.AcquiringBankLengthInvalid, "acquiringBank", bank, KhqrLimits.AcquiringBank);
        }

        if (second is not null)
        {
            tlv.Field("01", second);
        }

        if (bank is not null)
        {
            tlv.Field("02", bank);
        }

        tlv.EndTemplate(mark, isMerchant ? EmvTags.MerchantAccount : EmvTags.IndividualAccount);
        return null;
    }

    private static KhqrError? WriteAdditionalData(ref TlvWriter tlv, KhqrRequest request)
    {
        var bill = Optional(request.BillNumber);
        var mobile = Optional(request.MobileNumber);
        var store = Optional(request.StoreLabel);
        var terminal = Optional(request.TerminalLabel);
        var purpose = Optional(request.PurposeOfTransaction);
        if (bill is null && mobile is null && store is null && terminal is null && purpose is null)
        {
            return null;
        }

        var mark = tlv.BeginTemplate(EmvTags.AdditionalData);
        var error = SubField(ref tlv, "01", bill, KhqrLimits.BillNumber, KhqrErrorCode.BillNumberLengthInvalid, "billNumber")
            ?? SubField(ref tlv, "02", mobile, KhqrLimits.MobileNumber, KhqrErrorCode.MobileNumberLengthInvalid, "mobileNumber")
            ?? SubField(ref tlv, "03", store, KhqrLimits.StoreLabel, KhqrErrorCode.StoreLabelLengthInvalid, "storeLabel")
            ?? SubField(ref tlv, "07", terminal, KhqrLimits.TerminalLabel, KhqrErrorCode.TerminalLabelLengthInvalid, "terminalLabel")
            ?? SubField(ref tlv, "08", purpose, KhqrLimits.PurposeOfTransaction, KhqrErrorCode.PurposeOfTransactionLengthInvalid, "purposeOfTransaction");
        tlv.EndTemplate(mark, EmvTags.AdditionalData);
        return error;
    }

    private static KhqrError? WriteLanguageTemplate(ref TlvWriter tlv, KhqrRequest request)
    {
        var preference = Optional(request.LanguagePreference);
        var name = Optional(request.MerchantNameAlternateLanguage);
        var city = Optional(request.MerchantCityAlternateLanguage);
        if (preference is null && name is null && city is null)
        {
            return null;
        }

        if (preference is not null && name is null)
        {
            return new KhqrError(KhqrErrorCode.MerchantNameAlternateLanguageRequired, "merchantNameAlternateLanguage", "required with languagePreference");
        }

        var mark = tlv.BeginTemplate(EmvTags.LanguageTemplate);
        if (name is not null)
        {
            // The SDK crashes here (bug B3) and hands back its TypeError as a "QR"; the intent is plainly this.
            if (preference is null)
            {
                return new KhqrError(KhqrErrorCode.LanguagePreferenceRequired, "languagePreference", "required with merchantNameAlternateLanguage");
            }

            if (preference.Length > KhqrLimits.LanguagePreference)
            {
                return TooLong(KhqrErrorCode.LanguagePreferenceLengthInvalid, "languagePreference", preference, KhqrLimits.LanguagePreference);
            }

            tlv.Field("00", preference);
        }

        var error = SubField(ref tlv, "01", name, KhqrLimits.MerchantNameAlternateLanguage, KhqrErrorCode.MerchantNameAlternateLanguageLengthInvalid, "merchantNameAlternateLanguage")
            ?? SubField(ref tlv, "02", city, KhqrLimits.MerchantCityAlternateLanguage, KhqrErrorCode.MerchantCityAlternateLanguageLengthInvalid, "merchantCityAlternateLanguage");
        tlv.EndTemplate(mark, EmvTags.LanguageTemplate);
        return error;
    }

    private static KhqrError? WriteTimestamps(ref TlvWriter tlv, KhqrRequest request, long now)
    {
        if (request.ExpirationInputError is { } inputError)
        {
            return new KhqrError(inputError, "expirationTimestamp", "Unix time in milliseconds (13 digits), not before now");
        }

        if (request.ExpirationTimestamp is not { } expiration || expiration == 0)
        {
            return new KhqrError(KhqrErrorCode.ExpirationTimestampRequired, "expirationTimestamp");
        }

        Span<char> digits = stackalloc char[20];
        expiration.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
        if (length != KhqrLimits.Timestamp)
        {
            return new KhqrError(
                KhqrErrorCode.ExpirationTimestampLengthInvalid,
                "expirationTimestamp",
                string.Create(CultureInfo.InvariantCulture, $"{length} characters; Unix time in milliseconds has 13 digits"));
        }

        if (expiration < now)
        {
            return new KhqrError(KhqrErrorCode.ExpirationTimestampInThePast, "expirationTimestamp", "before the creation time (now)");
        }

        var mark = tlv.BeginTemplate(EmvTags.Timestamps);
        Span<char> created = stackalloc char[20];
        now.TryFormat(created, out var createdLength, provider: CultureInfo.InvariantCulture);
        tlv.Field("00", created[..createdLength]);
        tlv.Field("01", digits[..length]);
        tlv.EndTemplate(mark, EmvTags.Timestamps);
        return null;
    }

    // Appends the CRC, then hashes the whole payload: both are over the same UTF-8 bytes, so it is encoded once.
    private static KhqrCode Seal(ref TlvWriter tlv)
    {
        tlv.Raw("6304");
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetByteCount(tlv.Written) + 4];
        var byteCount = Encoding.UTF8.GetBytes(tlv.Written, utf8);
        Span<char> crc = stackalloc char[4];
        Crc16.WriteHex(Crc16.Compute(utf8[..byteCount]), crc);
        tlv.Raw(crc);
        for (var i = 0; i < crc.Length; i++)
        {
            utf8[byteCount++] = (byte)crc[i];
        }

        return new KhqrCode(new string(tlv.Written), Md5.HashToLowerHex(utf8[..byteCount]));
    }

    private static KhqrError? SubField(ref TlvWriter tlv, string subTag, string? value, int limit, KhqrErrorCode code, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > limit)
        {
            return TooLong(code, field, value, limit);
        }

        tlv.Field(subTag, value);
        return null;
    }

    private static KhqrError TooLong(KhqrErrorCode code, string field, string value, int limit) =>
        new(code, field, string.Create(CultureInfo.InvariantCulture, $"{value.Length} characters, at most {limit}"));

    private static string? Optional(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsAsciiDigits(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
