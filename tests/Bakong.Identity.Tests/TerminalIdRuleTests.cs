using Bakong.Payments;

namespace Bakong.Identity.Tests;

/// <summary>
/// A client is bound to terminal ids that payments will carry: the client store's rule for them must be the payments'
/// own (<see cref="Identifier"/>, <see cref="PaymentLimits.TerminalId"/>), which Bakong.Identity cannot reference.
/// </summary>
public sealed class TerminalIdRuleTests
{
    [Fact]
    public void The_terminal_id_rule_is_the_payments_rule()
    {
        Assert.Equal(PaymentLimits.TerminalId, ClientRegistration.MaxTerminalIdLength);
        Assert.Equal(Identifier.Alphabet, ClientRegistration.TerminalIdAlphabet);

        for (var c = 0; c < 0x250; c++)
        {
            var id = "POS" + (char)c;
            Assert.True(
                (Identifier.Check(id, "terminal_id", PaymentLimits.TerminalId) is null) == (ClientRegistration.CheckTerminalId(id) is null),
                $"U+{c:X4} is judged differently.");
        }

        foreach (var length in new[] { 0, 1, 64, 65 })
        {
            var id = new string('a', length);
            Assert.Equal(Identifier.Check(id, "terminal_id", PaymentLimits.TerminalId) is null, ClientRegistration.CheckTerminalId(id) is null);
        }
    }
}
