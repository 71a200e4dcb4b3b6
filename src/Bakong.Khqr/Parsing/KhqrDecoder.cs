using Bakong.Khqr.Parsing;

namespace Bakong.Khqr;

/// <summary>
/// Decodes a KHQR string into its fields exactly as the official SDK's <c>decode</c> does (the last occurrence of a
/// tag wins; unknown tags are skipped; nothing is validated). Never throws, and always returns: where the SDK spins
/// forever on a malformed sub-field length, the fields read so far are returned with
/// <see cref="KhqrDecoded.IsMalformed"/> set.
/// </summary>
public static class KhqrDecoder
{
    public static KhqrDecoded Decode(string? qr)
    {
        var decoded = new KhqrDecoded(qr ?? string.Empty);
        if (string.IsNullOrEmpty(qr))
        {
            return decoded;
        }

        // The SDK keeps the last value of each known tag; a 30 anywhere makes sub-tag 01 the merchant ID.
        Span<KhqrField?> last = stackalloc KhqrField?[(int)KhqrTag.Crc + 1];
        var isMerchant = false;
        var reader = new KhqrFieldReader(qr);
        while (reader.MoveNext())
        {
            var field = reader.Current;
            last[(int)field.Tag] = field;
            if (field.Tag == KhqrTag.MerchantAccount)
            {
                decoded.MerchantType = field.IsMerchantTag ? "30" : "29";
                isMerchant |= field.IsMerchantTag;
            }
        }

        Set(decoded, DecodedField.PayloadFormatIndicator, last[(int)KhqrTag.PayloadFormatIndicator]);
        Set(decoded, DecodedField.PointOfInitiationMethod, last[(int)KhqrTag.PointOfInitiationMethod]);
        Set(decoded, DecodedField.UnionPayMerchant, last[(int)KhqrTag.UnionPay]);
        Set(decoded, DecodedField.MerchantCategoryCode, last[(int)KhqrTag.MerchantCategoryCode]);
        Set(decoded, DecodedField.TransactionCurrency, last[(int)KhqrTag.TransactionCurrency]);
        Set(decoded, DecodedField.TransactionAmount, last[(int)KhqrTag.TransactionAmount]);
        Set(decoded, DecodedField.CountryCode, last[(int)KhqrTag.CountryCode]);
        Set(decoded, DecodedField.MerchantName, last[(int)KhqrTag.MerchantName]);
        Set(decoded, DecodedField.MerchantCity, last[(int)KhqrTag.MerchantCity]);
        Set(decoded, DecodedField.Crc, last[(int)KhqrTag.Crc]);

        Span<Range?> slots = stackalloc Range?[5];
        var complete = !reader.Stuck;
        if (Template(qr, last[(int)KhqrTag.MerchantAccount], KhqrTemplates.Account, slots, ref complete))
        {
            Set(decoded, DecodedField.BakongAccountID, slots[0]);
            if (isMerchant)
            {
                Set(decoded, DecodedField.MerchantID, slots[1]);
            }
            else
            {
                Set(decoded, DecodedField.AccountInformation, slots[1]);
            }

            Set(decoded, DecodedField.AcquiringBank, slots[2]);
        }

        if (Template(qr, last[(int)KhqrTag.AdditionalData], KhqrTemplates.AdditionalData, slots, ref complete))
        {
            Set(decoded, DecodedField.BillNumber, slots[0]);
            Set(decoded, DecodedField.MobileNumber, slots[1]);
            Set(decoded, DecodedField.StoreLabel, slots[2]);
            Set(decoded, DecodedField.TerminalLabel, slots[3]);
            Set(decoded, DecodedField.PurposeOfTransaction, slots[4]);
        }

        if (Template(qr, last[(int)KhqrTag.LanguageTemplate], KhqrTemplates.Language, slots, ref complete))
        {
            Set(decoded, DecodedField.LanguagePreference, slots[0]);
            Set(decoded, DecodedField.MerchantNameAlternateLanguage, slots[1]);
            Set(decoded, DecodedField.MerchantCityAlternateLanguage, slots[2]);
        }

        if (Template(qr, last[(int)KhqrTag.Timestamps], KhqrTemplates.Timestamps, slots, ref complete))
        {
            Set(decoded, DecodedField.CreationTimestamp, slots[0]);
            Set(decoded, DecodedField.ExpirationTimestamp, slots[1]);
        }

        decoded.IsMalformed = !complete;
        return decoded;
    }

    // Reads one template into slots; the SDK stops decoding at the first template it cannot get past.
    private static bool Template(string qr, KhqrField? field, int[] subTags, Span<Range?> slots, ref bool complete)
    {
        slots.Clear();
        if (!complete || field is not { } template)
        {
            return false;
        }

        complete = KhqrTemplates.Read(qr, template, slots, subTags, out _);
        return true;
    }

    private static void Set(KhqrDecoded decoded, DecodedField name, KhqrField? field)
    {
        if (field is { } f)
        {
            decoded.Set(name, f.ValueStart, f.ValueLength);
        }
    }

    private static void Set(KhqrDecoded decoded, DecodedField name, Range? range)
    {
        if (range is { } r)
        {
            decoded.Set(name, r.Start.Value, r.End.Value - r.Start.Value);
        }
    }
}
