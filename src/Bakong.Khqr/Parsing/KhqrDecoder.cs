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
        var decoded = new KhqrDecoded();
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

        decoded.PayloadFormatIndicator = Text(qr, last[(int)KhqrTag.PayloadFormatIndicator]);
        decoded.PointOfInitiationMethod = Text(qr, last[(int)KhqrTag.PointOfInitiationMethod]);
        decoded.UnionPayMerchant = Text(qr, last[(int)KhqrTag.UnionPay]);
        decoded.MerchantCategoryCode = Text(qr, last[(int)KhqrTag.MerchantCategoryCode]);
        decoded.TransactionCurrency = Text(qr, last[(int)KhqrTag.TransactionCurrency]);
        decoded.TransactionAmount = Text(qr, last[(int)KhqrTag.TransactionAmount]);
        decoded.CountryCode = Text(qr, last[(int)KhqrTag.CountryCode]);
        decoded.MerchantName = Text(qr, last[(int)KhqrTag.MerchantName]);
        decoded.MerchantCity = Text(qr, last[(int)KhqrTag.MerchantCity]);
        decoded.Crc = Text(qr, last[(int)KhqrTag.Crc]);

        Span<Range?> slots = stackalloc Range?[5];
        var complete = !reader.Stuck;
        if (Template(qr, last[(int)KhqrTag.MerchantAccount], KhqrTemplates.Account, slots, ref complete))
        {
            decoded.BakongAccountID = Text(qr, slots[0]);
            if (isMerchant)
            {
                decoded.MerchantID = Text(qr, slots[1]);
            }
            else
            {
                decoded.AccountInformation = Text(qr, slots[1]);
            }

            decoded.AcquiringBank = Text(qr, slots[2]);
        }

        if (Template(qr, last[(int)KhqrTag.AdditionalData], KhqrTemplates.AdditionalData, slots, ref complete))
        {
            decoded.BillNumber = Text(qr, slots[0]);
            decoded.MobileNumber = Text(qr, slots[1]);
            decoded.StoreLabel = Text(qr, slots[2]);
            decoded.TerminalLabel = Text(qr, slots[3]);
            decoded.PurposeOfTransaction = Text(qr, slots[4]);
        }

        if (Template(qr, last[(int)KhqrTag.LanguageTemplate], KhqrTemplates.Language, slots, ref complete))
        {
            decoded.LanguagePreference = Text(qr, slots[0]);
            decoded.MerchantNameAlternateLanguage = Text(qr, slots[1]);
            decoded.MerchantCityAlternateLanguage = Text(qr, slots[2]);
        }

        if (Template(qr, last[(int)KhqrTag.Timestamps], KhqrTemplates.Timestamps, slots, ref complete))
        {
            decoded.CreationTimestamp = Text(qr, slots[0]);
            decoded.ExpirationTimestamp = Text(qr, slots[1]);
        }

        decoded.IsMalformed = !complete;
        return decoded;
    }

    // Reads one template into slots; the SDK stops decoding at the first template it cannot get past.
    private static bool Template(string qr, KhqrField? field, string[] subTags, Span<Range?> slots, ref bool complete)
    {
        slots.Clear();
        if (!complete || field is not { } template)
        {
            return false;
        }

        complete = KhqrTemplates.Read(qr, template, slots, subTags, out _);
        return true;
    }

    private static string? Text(string qr, KhqrField? field) => field is { } f ? qr.Substring(f.ValueStart, f.ValueLength) : null;

    private static string? Text(string qr, Range? range) => range is { } r ? qr[r] : null;
}
