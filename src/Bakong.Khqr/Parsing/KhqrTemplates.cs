namespace Bakong.Khqr.Parsing;

/// <summary>The templates whose sub-fields the SDK reads, and the sub-tags it names in each (<c>constant/KHQRSubtag.js</c>).</summary>
internal static class KhqrTemplates
{
    /// <summary>29/30: account (00), account information or merchant ID (01), acquiring bank (02).</summary>
    public static readonly int[] Account = [0, 1, 2];

    /// <summary>62: bill number, mobile number, store label, terminal label, purpose.</summary>
    public static readonly int[] AdditionalData = [1, 2, 3, 7, 8];

    /// <summary>64: language preference, alternate-language name, alternate-language city.</summary>
    public static readonly int[] Language = [0, 1, 2];

    /// <summary>99: creation and expiration timestamps.</summary>
    public static readonly int[] Timestamps = [0, 1];

    /// <summary>
    /// Reads a template's sub-fields into the slots named by <paramref name="subTags"/>; a repeated sub-tag
    /// overwrites, as in the SDK. <paramref name="matched"/> says whether any named sub-tag was there.
    /// Returns false where the SDK's reader would spin forever on this template.
    /// </summary>
    public static bool Read(string s, KhqrField template, Span<Range?> slots, int[] subTags, out bool matched)
    {
        matched = false;
        var reader = new KhqrSubFieldReader(s, template.ValueStart, template.ValueLength);
        while (reader.MoveNext())
        {
            var tag = KhqrTags.TwoDigits(reader.Current.Tag(s));
            for (var slot = 0; slot < subTags.Length; slot++)
            {
                if (tag == subTags[slot])
                {
                    slots[slot] = new Range(reader.Current.ValueStart, reader.Current.ValueStart + reader.Current.ValueLength);
                    matched = true;
                    break;
                }
            }
        }

        return !reader.Stuck;
    }
}
