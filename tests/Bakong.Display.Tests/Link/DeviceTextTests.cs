using Bakong.Display.Link;

namespace Bakong.Display.Tests.Link;

public sealed class DeviceTextTests
{
    [Fact]
    public void Plain_text_including_khmer_and_emoji_is_returned_unchanged()
    {
        const string Text = "fw 1.2.3 ហាងកាហ្វេ ☕ 🙂";

        Assert.Same(Text, DeviceText.Escape(Text));
    }

    [Theory]
    [InlineData("\u001B[2J", @"\x1B[2J")]
    [InlineData("a\r\ninfo: forged", @"a\x0D\x0Ainfo: forged")]
    [InlineData("nul\0del\u007F", @"nul\x00del\x7F")]
    [InlineData("c1 csi \u009B31m nel \u0085", @"c1 csi \x9B31m nel \x85")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData("\u202Egnp.exe\u202C \u2066iso\u2069 \u200F", @"\u202Egnp.exe\u202C \u2066iso\u2069 \u200F")]
    [InlineData(@"back\slash", @"back\\slash")]
    public void Control_separator_and_bidi_characters_are_escaped_so_they_stay_readable(string text, string escaped)
    {
        Assert.Equal(escaped, DeviceText.Escape(text));
    }

    [Fact]
    public void An_unpaired_surrogate_is_escaped()
    {
        // Not theory data: xunit cannot carry a lone surrogate through a test case's serialized arguments.
        Assert.Equal(@"lone \uD800 surrogate \uDC00", DeviceText.Escape("lone \uD800 surrogate \uDC00"));
    }

    [Fact]
    public void Long_text_is_cut_within_the_limit_on_a_whole_escape_and_says_so()
    {
        var escaped = DeviceText.Escape(new string('\u001B', 96));

        // 31 whole escapes of 4 characters and the ellipsis: a 32nd would leave no room for it.
        Assert.Equal(string.Concat(Enumerable.Repeat(@"\x1B", 31)) + "…", escaped);
        Assert.InRange(escaped.Length, 1, DeviceText.MaxLength);
    }

    [Fact]
    public void Text_exactly_at_the_limit_is_kept_whole_and_one_more_character_cuts_it()
    {
        var atLimit = new string('a', DeviceText.MaxLength);

        Assert.Same(atLimit, DeviceText.Escape(atLimit));
        Assert.Equal(new string('a', DeviceText.MaxLength - 1) + "…", DeviceText.Escape(atLimit + "b"));
    }

    [Fact]
    public void A_surrogate_pair_is_never_split_by_the_cut()
    {
        var escaped = DeviceText.Escape(new string('a', DeviceText.MaxLength - 2) + "🙂🙂");

        Assert.Equal(new string('a', DeviceText.MaxLength - 2) + "…", escaped);
    }
}
