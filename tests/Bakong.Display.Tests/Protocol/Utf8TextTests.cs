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
    public void Truncate_cuts_at_the_last_whole_character_within_the_byte_limit(string text, int limit, string expected)
    {
        Assert.Equal(expected, Utf8Text.Truncate(text, limit));
    }

    [Fact]
    public void Truncate_returns_the_longest_prefix_of_whole_characters_that_fits()
    {
        var text = Gen.OneOf(Gen.Char['a', 'z'].Select(c => c.ToString()), Gen.Const("ក"), Gen.Const("é"), Gen.Const("\U0001F600"))
            .Array[0, 60].Select(parts => string.Concat(parts));
        Gen.Select(text, Gen.Int[0, 200]).Sample((s, limit) =>
        {
            var cut = Utf8Text.Truncate(s, limit);
            var bytes = Encoding.UTF8.GetByteCount(cut);
            Assert.StartsWith(cut, s, StringComparison.Ordinal);
            Assert.True(bytes <= limit);
            Assert.Equal(cut, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(cut))); // no lone surrogate at the end
            if (cut.Length < s.Length)
            {
                var next = char.IsHighSurrogate(s[cut.Length]) ? s.Substring(cut.Length, 2) : s[cut.Length].ToString();
                Assert.True(bytes + Encoding.UTF8.GetByteCount(next) > limit); // the next character would not fit
            }
        });
    }
}
