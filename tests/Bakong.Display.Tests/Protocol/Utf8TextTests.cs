using System.Globalization;
using System.Text;
using Bakong.Display.Protocol;
using CsCheck;

namespace Bakong.Display.Tests.Protocol;

public sealed class Utf8TextTests
{
    [Theory]
    [InlineData("Sokha", 96, "Sokha")]
    [InlineData("Sokha", 3, "Sok")]
    [InlineData("កខ", 5, "ក")] // a 3-byte Khmer letter that does not fit whole is left out, never cut
    [InlineData("Aកខ", 6, "Aក")]
    [InlineData("a\U0001F600b", 4, "a")] // a surrogate pair (4 UTF-8 bytes) is never split
    [InlineData("a\U0001F600b", 5, "a\U0001F600")]
    [InlineData("ក", 2, "")]
    [InlineData("cafe\u0301!", 5, "caf")] // e + combining acute is one character: both or neither
    [InlineData("a\U0001F44D\U0001F3FDb", 5, "a")] // an emoji with its skin tone modifier
    [InlineData("a\U0001F1F0\U0001F1EDb", 5, "a")] // a flag: two regional indicators
    public void Truncate_cuts_at_the_last_whole_character_within_the_byte_limit(string text, int limit, string expected)
    {
        Assert.Equal(expected, Utf8Text.Truncate(text, limit));
    }

    [Theory]
    // ស្ត្រី (woman) is one visual cluster: SA, COENG TA, COENG RO, vowel II. .NET's text elements split it after each
    // COENG (ស្ | ត្ | រី); the display must not draw a subscript without its consonant, nor a base without its vowel.
    [InlineData("ស្ត្រី", 6, "")]
    [InlineData("ស្ត្រី", 9, "")]
    [InlineData("ស្ត្រី", 17, "")]
    [InlineData("ស្ត្រី", 18, "ស្ត្រី")]
    [InlineData("ហាងស្ត្រី", 9, "ហាង")]
    [InlineData("ហាងស្ត្រី", 20, "ហាង")]
    [InlineData("ខ្មែរ", 12, "ខ្មែ")] // KHMER: KHA COENG MO, vowel AE | RO
    [InlineData("ខ្មែរ", 11, "")]
    [InlineData("ហាងកាហ្វេ", 24, "ហាងកា")] // HA COENG VO + vowel E stays whole
    [InlineData("ព្រះ", 11, "")]
    [InlineData("សុខា", 6, "សុ")]
    [InlineData("សុខា", 8, "សុ")]
    public void Truncate_never_splits_a_khmer_consonant_cluster(string text, int limit, string expected)
    {
        Assert.Equal(expected, Utf8Text.Truncate(text, limit));
    }

    [Fact]
    public void Dotnet_text_elements_split_a_khmer_cluster_after_coeng_so_the_khmer_rule_is_needed()
    {
        // The reason for Utf8Text's own Khmer rule: if .NET ever joins COENG clusters, this fails and the rule can go.
        Assert.Equal([0, 2, 4], StringInfo.ParseCombiningCharacters("ស្ត្រី"));
    }

    [Fact]
    public void Truncate_returns_the_longest_prefix_of_whole_characters_that_fits()
    {
        var piece = Gen.OneOf(
            Gen.Char['a', 'z'].Select(c => c.ToString()),
            Gen.Char['\u1780', '\u17A2'].Select(c => c.ToString()), // Khmer consonants
            Gen.Char['\u17B6', '\u17D3'].Select(c => c.ToString()), // Khmer dependent vowels and signs
            Gen.Const("\u17D2"), // COENG
            Gen.Const("\u17D2"),
            Gen.Const("é"),
            Gen.Const("e\u0301"),
            Gen.Const("\u200D"),
            Gen.Const("\U0001F600"),
            Gen.Const("\U0001F3FD"));
        var text = piece.Array[0, 60].Select(parts => string.Concat(parts));
        Gen.Select(text, Gen.Int[0, 200]).Sample((s, limit) =>
        {
            var cut = Utf8Text.Truncate(s, limit);
            var bytes = Encoding.UTF8.GetByteCount(cut);
            Assert.StartsWith(cut, s, StringComparison.Ordinal);
            Assert.True(bytes <= limit);
            if (cut.Length == s.Length)
            {
                Assert.True(Encoding.UTF8.GetByteCount(s) <= limit);
                return;
            }

            // A cut between two text elements (.NET's grapheme clusters), never right after COENG or before a Khmer sign
            // (the empty prefix always fits: the text may start with a stray sign).
            Assert.Contains(cut.Length, StringInfo.ParseCombiningCharacters(s));
            Assert.False(cut.EndsWith('\u17D2'));
            Assert.False(cut.Length > 0 && s[cut.Length] is (>= '\u17B6' and <= '\u17D3') or '\u17DD');

            // The longest such prefix: the next cut point after this one does not fit.
            var next = NextCutPoint(s, cut.Length);
            Assert.True(Encoding.UTF8.GetByteCount(s.AsSpan(0, next)) > limit);
        });
    }

    private static int NextCutPoint(string s, int after)
    {
        foreach (var at in StringInfo.ParseCombiningCharacters(s).Append(s.Length))
        {
            if (at > after && (at == s.Length || (s[at - 1] != '\u17D2' && s[at] is not ((>= '\u17B6' and <= '\u17D3') or '\u17DD'))))
            {
                return at;
            }
        }

        return s.Length;
    }
}
