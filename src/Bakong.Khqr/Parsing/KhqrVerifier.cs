using System.Globalization;
using System.Runtime.CompilerServices;
using Bakong.Khqr.Hashing;
using Bakong.Khqr.Parsing;

namespace Bakong.Khqr;

/// <summary>
/// Verifies a KHQR string with the official SDK's rules (<c>BakongKHQR.verify</c>, bakong-khqr 1.0.20), so its
/// verdict is the SDK's — and says why a string is invalid. Never throws, and always answers promptly: where the
/// SDK's reader spins forever on a malformed sub-field length, this reports the string invalid.
/// </summary>
/// <remarks>
/// Like the SDK it does not insist on tag order; pass <c>requireTagOrder: true</c> to also reject fields out of
/// the order the SDK emits them (error 36), as a gateway checking its own QRs may.
/// </remarks>
public sealed class KhqrVerifier(TimeProvider timeProvider)
{
    private const int MaxStackFields = 48;

    // The tags the SDK requires, in the order it looks for them, and the error for each one missing.
    private static readonly (KhqrTag Tag, KhqrErrorCode Code, string Name)[] s_requiredTags =
    [
        (KhqrTag.PayloadFormatIndicator, KhqrErrorCode.PayloadFormatIndicatorTagRequired, "tag 00"),
        (KhqrTag.MerchantAccount, KhqrErrorCode.MerchantTypeRequired, "tag 29/30"),
        (KhqrTag.MerchantCategoryCode, KhqrErrorCode.MerchantCategoryTagRequired, "tag 52"),
        (KhqrTag.TransactionCurrency, KhqrErrorCode.CurrencyTypeRequired, "tag 53"),
        (KhqrTag.CountryCode, KhqrErrorCode.CountryCodeTagRequired, "tag 58"),
        (KhqrTag.MerchantName, KhqrErrorCode.MerchantNameRequired, "tag 59"),
        (KhqrTag.MerchantCity, KhqrErrorCode.MerchantCityTagRequired, "tag 60"),
        (KhqrTag.Crc, KhqrErrorCode.CrcTagRequired, "tag 63"),
    ];

    // Tag 62's sub-fields in KhqrTemplates.AdditionalData order, each 1 to 25 characters.
    private static readonly (KhqrErrorCode Code, string Name)[] s_additionalDataChecks =
    [
        (KhqrErrorCode.BillNumberLengthInvalid, "tag 62 sub-tag 01"),
        (KhqrErrorCode.MobileNumberLengthInvalid, "tag 62 sub-tag 02"),
        (KhqrErrorCode.StoreLabelLengthInvalid, "tag 62 sub-tag 03"),
        (KhqrErrorCode.TerminalLabelLengthInvalid, "tag 62 sub-tag 07"),
        (KhqrErrorCode.PurposeOfTransactionLengthInvalid, "tag 62 sub-tag 08"),
    ];

    private readonly TimeProvider _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

    public KhqrVerification Verify(string? qr, bool requireTagOrder = false) => Verify(qr, requireTagOrder, allowFastPath: true);

    /// <summary>Tests compare the fast path's verdicts with the general reader's through this.</summary>
    [SkipLocalsInit]
    internal KhqrVerification Verify(string? qr, bool requireTagOrder, bool allowFastPath)
    {
        if (qr is null || !EndsWithCrcField(qr))
        {
            return Invalid(KhqrErrorCode.KhqrInvalid, "tag 63", "the string must end with the CRC field 6304 and four hex digits");
        }

        if (!CrcMatches(qr, out var expected))
        {
            return Invalid(KhqrErrorCode.KhqrInvalid, "tag 63", "CRC mismatch: the payload's CRC is " + expected);
        }

        if (qr.Length < 12)
        {
            return Invalid(KhqrErrorCode.KhqrInvalid, null, "shorter than 12 characters");
        }

        if (allowFastPath && CanonicalKhqr.IsCertainlyValid(qr, _timeProvider))
        {
            return KhqrVerification.Valid;
        }

        // The general reader, the SDK's parse reproduced, for every other string and for the reason a string is
        // invalid. It reads the fields once; more fields than fit on the stack (never a real KHQR) are read twice.
        Span<KhqrField> buffer = stackalloc KhqrField[MaxStackFields];
        var reader = new KhqrFieldReader(qr);
        var count = 0;
        var seen = 0;
        var dynamic = false;
        var previous = KhqrTag.Unknown;
        while (reader.MoveNext())
        {
            var field = reader.Current;
            seen |= 1 << (int)field.Tag;
            dynamic |= field.Tag == KhqrTag.PointOfInitiationMethod && field.Value(qr) is "12";
            if (requireTagOrder && field.Tag <= previous)
            {
                return Invalid(KhqrErrorCode.TagNotInOrder, TagName(field), "fields must be in the order 00 01 15 29/30 52 53 54 58 59 60 62 64 99 63");
            }

            previous = field.Tag;
            if (count < buffer.Length)
            {
                buffer[count] = field;
            }

            count++;
        }

        if (reader.Stuck)
        {
            return KhqrVerification.Invalid(Stuck("tag 30"));
        }

        if (CheckPresence(seen, dynamic) is { } missing)
        {
            return KhqrVerification.Invalid(missing);
        }

        // Each field's content, in the order the fields appear, as the SDK re-validates them.
        var pointOfInitiation = default(KhqrField?);
        if (count <= buffer.Length)
        {
            foreach (var field in buffer[..count])
            {
                if (CheckField(qr, field, ref pointOfInitiation) is { } error)
                {
                    return KhqrVerification.Invalid(error);
                }
            }

            return KhqrVerification.Valid;
        }

        reader = new KhqrFieldReader(qr);
        while (reader.MoveNext())
        {
            if (CheckField(qr, reader.Current, ref pointOfInitiation) is { } error)
            {
                return KhqrVerification.Invalid(error);
            }
        }

        return KhqrVerification.Valid;
    }

    // The SDK checks the dynamic-QR fields and the required tags before any field's content.
    private static KhqrError? CheckPresence(int seen, bool dynamic)
    {
        bool Has(KhqrTag tag) => (seen & (1 << (int)tag)) != 0;
        if (dynamic && !Has(KhqrTag.TransactionAmount))
        {
            return Error(KhqrErrorCode.InvalidDynamicKhqr, "tag 54", "a dynamic QR (01 = 12) needs an amount");
        }

        if ((dynamic || Has(KhqrTag.TransactionAmount)) && !Has(KhqrTag.Timestamps))
        {
            return Error(KhqrErrorCode.ExpirationTimestampRequired, "tag 99", "a QR with an amount needs the timestamp template");
        }

        foreach (var (tag, code, name) in s_requiredTags)
        {
            if (!Has(tag))
            {
                return Error(code, name, "required field missing");
            }
        }

        return null;
    }

    private KhqrError? CheckField(string qr, KhqrField field, ref KhqrField? pointOfInitiation)
    {
        var value = field.Value(qr);
        var error = field.Tag switch
        {
            KhqrTag.PayloadFormatIndicator => Text(value, required: KhqrErrorCode.PayloadFormatIndicatorTagRequired, 2, KhqrErrorCode.PayloadFormatIndicatorLengthInvalid, "tag 00"),
            KhqrTag.PointOfInitiationMethod => CheckPointOfInitiation(value),
            KhqrTag.UnionPay => value.Length > KhqrLimits.UpiMerchantAccount ? Error(KhqrErrorCode.UpiAccountInformationLengthInvalid, "tag 15", null) : null,
            KhqrTag.MerchantAccount => CheckAccount(qr, field),
            KhqrTag.MerchantCategoryCode => Text(value, KhqrErrorCode.MerchantCategoryTagRequired, KhqrLimits.MerchantCategoryCode, KhqrErrorCode.MerchantCodeLengthInvalid, "tag 52")
                ?? (IsAsciiDigits(value) ? null : Error(KhqrErrorCode.InvalidMerchantCategoryCode, "tag 52", "digits only")),
            KhqrTag.TransactionCurrency => Text(value, KhqrErrorCode.CurrencyTypeRequired, 3, KhqrErrorCode.TransactionCurrencyLengthInvalid, "tag 53")
                ?? (JsNumber.ParseInt(value) is 116 or 840 ? null : Error(KhqrErrorCode.UnsupportedCurrency, "tag 53", "116 or 840")),
            KhqrTag.TransactionAmount => value.Length > KhqrLimits.Amount || value.Contains('-') || value.IsEmpty
                ? Error(KhqrErrorCode.TransactionAmountInvalid, "tag 54", null)
                : null,
            KhqrTag.CountryCode => Text(value, KhqrErrorCode.CountryCodeTagRequired, 3, KhqrErrorCode.CountryCodeLengthInvalid, "tag 58"),
            KhqrTag.MerchantName => Text(value, KhqrErrorCode.MerchantNameRequired, KhqrLimits.MerchantName, KhqrErrorCode.MerchantNameLengthInvalid, "tag 59"),
            KhqrTag.MerchantCity => Text(value, KhqrErrorCode.MerchantCityTagRequired, KhqrLimits.MerchantCity, KhqrErrorCode.MerchantCityLengthInvalid, "tag 60"),
            KhqrTag.AdditionalData => CheckAdditionalData(qr, field),
            KhqrTag.LanguageTemplate => CheckLanguageTemplate(qr, field),
            KhqrTag.Timestamps => CheckTimestamps(qr, field, pointOfInitiation is { } poi && poi.Value(qr) is "12"),
            KhqrTag.Crc => Text(value, KhqrErrorCode.CrcTagRequired, 4, KhqrErrorCode.CrcLengthInvalid, "tag 63"),
            _ => null,
        };

        // The SDK takes the point of initiation as the timestamp rule's context once that field has passed.
        if (error is null && field.Tag == KhqrTag.PointOfInitiationMethod)
        {
            pointOfInitiation = field;
        }

        return error;
    }

    private static KhqrError? CheckPointOfInitiation(ReadOnlySpan<char> value) =>
        value.Length > 2 ? Error(KhqrErrorCode.PointInitiationLengthInvalid, "tag 01", null)
        : value is "11" or "12" ? null
        : Error(KhqrErrorCode.PointOfInitiationMethodInvalid, "tag 01", "11 (static) or 12 (dynamic)");

    private static KhqrError? CheckAccount(string qr, KhqrField field)
    {
        var name = field.IsMerchantTag ? "tag 30" : "tag 29";
        Span<Range?> sub = stackalloc Range?[3];
        if (!KhqrTemplates.Read(qr, field, sub, KhqrTemplates.Account, out var matched))
        {
            return Stuck(name);
        }

        // With no known sub-field the SDK sees no account at all.
        var account = matched ? sub[0] : null;
        if (account is not { } a || qr.AsSpan(a).IsEmpty)
        {
            return Error(KhqrErrorCode.BakongAccountIdRequired, name + " sub-tag 00", null);
        }

        var accountText = qr.AsSpan(a);
        if (accountText.Length > KhqrLimits.BakongAccountId)
        {
            return Error(KhqrErrorCode.BakongAccountIdLengthInvalid, name + " sub-tag 00", null);
        }

        if (!accountText.Contains('@'))
        {
            return Error(KhqrErrorCode.BakongAccountIdInvalid, name + " sub-tag 00", "expected name@bank");
        }

        if (sub[1] is { } info && qr.AsSpan(info).Length > KhqrLimits.AccountInformation)
        {
            return Error(KhqrErrorCode.AccountInformationLengthInvalid, name + " sub-tag 01", null);
        }

        if (sub[2] is { } bank)
        {
            var bankText = qr.AsSpan(bank);
            if (bankText.IsEmpty)
            {
                return Error(KhqrErrorCode.AcquiringBankRequired, name + " sub-tag 02", null);
            }

            if (bankText.Length > KhqrLimits.AcquiringBank)
            {
                return Error(KhqrErrorCode.AcquiringBankLengthInvalid, name + " sub-tag 02", null);
            }
        }

        return null;
    }

    private static KhqrError? CheckAdditionalData(string qr, KhqrField field)
    {
        Span<Range?> sub = stackalloc Range?[5];
        if (!KhqrTemplates.Read(qr, field, sub, KhqrTemplates.AdditionalData, out _))
        {
            return Stuck("tag 62");
        }

        for (var i = 0; i < s_additionalDataChecks.Length; i++)
        {
            if (sub[i] is { } r && (qr.AsSpan(r).IsEmpty || qr.AsSpan(r).Length > 25))
            {
                return Error(s_additionalDataChecks[i].Code, s_additionalDataChecks[i].Name, "1 to 25 characters");
            }
        }

        return null;
    }

    private static KhqrError? CheckLanguageTemplate(string qr, KhqrField field)
    {
        Span<Range?> sub = stackalloc Range?[3];
        if (!KhqrTemplates.Read(qr, field, sub, KhqrTemplates.Language, out _))
        {
            return Stuck("tag 64");
        }

        var hasPreference = sub[0] is { } p && !qr.AsSpan(p).IsEmpty;
        var hasName = sub[1] is { } n && !qr.AsSpan(n).IsEmpty;
        if (hasPreference && !hasName)
        {
            return Error(KhqrErrorCode.MerchantNameAlternateLanguageRequired, "tag 64 sub-tag 01", null);
        }

        if (sub[1] is { } name)
        {
            if (sub[0] is not { } preference)
            {
                return Error(KhqrErrorCode.LanguagePreferenceRequired, "tag 64 sub-tag 00", null);
            }

            if (qr.AsSpan(preference).IsEmpty || qr.AsSpan(preference).Length > KhqrLimits.LanguagePreference)
            {
                return Error(KhqrErrorCode.LanguagePreferenceLengthInvalid, "tag 64 sub-tag 00", null);
            }

            if (qr.AsSpan(name).IsEmpty || qr.AsSpan(name).Length > KhqrLimits.MerchantNameAlternateLanguage)
            {
                return Error(KhqrErrorCode.MerchantNameAlternateLanguageLengthInvalid, "tag 64 sub-tag 01", null);
            }
        }

        if (sub[2] is { } city && (qr.AsSpan(city).IsEmpty || qr.AsSpan(city).Length > KhqrLimits.MerchantCityAlternateLanguage))
        {
            return Error(KhqrErrorCode.MerchantCityAlternateLanguageLengthInvalid, "tag 64 sub-tag 02", null);
        }

        return null;
    }

    // The SDK checks timestamps only when the point of initiation read so far says dynamic (12).
    private KhqrError? CheckTimestamps(string qr, KhqrField field, bool dynamic)
    {
        Span<Range?> sub = stackalloc Range?[2];
        if (!KhqrTemplates.Read(qr, field, sub, KhqrTemplates.Timestamps, out var matched))
        {
            return Stuck("tag 99");
        }

        if (!dynamic)
        {
            return null;
        }

        if (!matched)
        {
            return Error(KhqrErrorCode.ExpirationTimestampRequired, "tag 99", null);
        }

        var creation = sub[0] is { } c ? JsNumber.ToNumber(qr.AsSpan(c)) : 0;
        var expiration = sub[1] is { } e ? JsNumber.ToNumber(qr.AsSpan(e)) : 0;
        if (expiration == 0 || double.IsNaN(expiration))
        {
            return Error(KhqrErrorCode.ExpirationTimestampRequired, "tag 99 sub-tag 01", null);
        }

        if (JsNumber.StringLength(expiration) != KhqrLimits.Timestamp)
        {
            return Error(KhqrErrorCode.ExpirationTimestampLengthInvalid, "tag 99 sub-tag 01", "Unix time in milliseconds has 13 digits");
        }

        if (!JsNumber.IsValidDate(expiration))
        {
            return Error(KhqrErrorCode.InvalidDynamicKhqr, "tag 99 sub-tag 01", "not a valid date");
        }

        if (expiration < creation)
        {
            return Error(KhqrErrorCode.ExpirationTimestampInThePast, "tag 99 sub-tag 01", "expires before it was created");
        }

        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        if (expiration < now)
        {
            return Error(
                KhqrErrorCode.KhqrExpired,
                "tag 99 sub-tag 01",
                "expired at " + DateTimeOffset.FromUnixTimeMilliseconds((long)expiration).ToString("u", CultureInfo.InvariantCulture));
        }

        return null;
    }

    private static KhqrError? Text(ReadOnlySpan<char> value, KhqrErrorCode required, int limit, KhqrErrorCode tooLong, string name) =>
        value.IsEmpty ? Error(required, name, null)
        : value.Length > limit ? Error(tooLong, name, string.Create(CultureInfo.InvariantCulture, $"at most {limit} characters"))
        : null;

    private static bool EndsWithCrcField(string qr)
    {
        if (qr.Length < 8 || !qr.AsSpan(qr.Length - 8, 4).SequenceEqual("6304"))
        {
            return false;
        }

        foreach (var c in qr.AsSpan(qr.Length - 4))
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool CrcMatches(string qr, out string expected)
    {
        Span<char> hex = stackalloc char[4];
        Crc16.WriteHex(Crc16.ComputeUtf8(qr.AsSpan(0, qr.Length - 4)), hex);
        var given = qr.AsSpan(qr.Length - 4);
        for (var i = 0; i < 4; i++)
        {
            if (char.ToUpperInvariant(given[i]) != hex[i])
            {
                expected = new string(hex);
                return false;
            }
        }

        expected = string.Empty;
        return true;
    }

    private static bool IsAsciiDigits(ReadOnlySpan<char> value)
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

    private static string TagName(KhqrField field) => "tag " + KhqrTags.Code(field.Tag, field.IsMerchantTag);

    private static KhqrError Stuck(string name) =>
        new(KhqrErrorCode.KhqrInvalid, name, "a length is not a number or points backwards, so the official SDK never returns on this string");

    private static KhqrError Error(KhqrErrorCode code, string field, string? detail) => new(code, field, detail);

    private static KhqrVerification Invalid(KhqrErrorCode code, string? field, string detail) =>
        KhqrVerification.Invalid(new KhqrError(code, field, detail));
}
