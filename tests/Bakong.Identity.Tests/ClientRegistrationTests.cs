namespace Bakong.Identity.Tests;

public sealed class ClientRegistrationTests
{
    [Theory]
    [InlineData(ClientRole.Terminal, new string[0], "terminal_ids")]
    [InlineData(ClientRole.Kiosk, new string[0], "terminal_ids")]
    [InlineData(ClientRole.Operator, new[] { "POS-01" }, "terminal_ids")]
    [InlineData(ClientRole.Terminal, new[] { "POS 01" }, "terminal_ids[0]")]
    [InlineData(ClientRole.Terminal, new[] { "POS-01", "" }, "terminal_ids[1]")]
    [InlineData((ClientRole)0, new string[0], "role")]
    public void A_wrong_registration_names_its_field(ClientRole role, string[] terminals, string field)
    {
        var violations = new ClientRegistration(role, terminals, null).Check();

        Assert.Contains(violations, v => v.Field == field);
    }

    [Fact]
    public void A_terminal_id_is_at_most_64_characters()
    {
        Assert.Null(ClientRegistration.CheckTerminalId(new string('a', 64)));
        Assert.NotNull(ClientRegistration.CheckTerminalId(new string('a', 65)));
    }

    [Fact]
    public void A_name_with_a_line_break_is_refused()
    {
        Assert.Contains(new ClientRegistration(ClientRole.Terminal, ["POS-01"], "Till\n1").Check(), v => v.Field == "name");
    }

    [Theory]
    [InlineData(ClientRole.Terminal, new[] { "POS-01", "POS-02" })]
    [InlineData(ClientRole.Kiosk, new[] { "KIOSK.1:a_b" })]
    [InlineData(ClientRole.Operator, new string[0])]
    public void A_right_registration_passes(ClientRole role, string[] terminals)
    {
        Assert.Empty(new ClientRegistration(role, terminals, "Till 1").Check());
    }
}
