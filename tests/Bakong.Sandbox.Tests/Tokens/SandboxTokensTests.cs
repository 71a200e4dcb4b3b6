using Bakong.Sandbox.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Sandbox.Tests.Tokens;

public sealed class SandboxTokensTests
{
    private const string Email = "dev@shop.kh";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SandboxTokens _tokens;

    public SandboxTokensTests()
    {
        _tokens = new SandboxTokens(new SandboxOptions(), new SandboxRandom(1), _time, NullLogger.Instance);
    }

    [Fact]
    public void Renew_refuses_an_email_until_its_code_is_verified()
    {
        Assert.Null(_tokens.Request(Email, "Shop", "Kiosk"));
        var pending = _tokens.Renew(Email);
        var code = Assert.Single(_tokens.Mailbox(Email)).Code;
        var verified = _tokens.Verify(code);
        var renewed = _tokens.Renew(Email.ToUpperInvariant());

        Assert.Equal((null, BakongError.NotRegistered), pending);
        Assert.True(_tokens.IsValid(verified.Token!.Token));
        Assert.True(_tokens.IsValid(renewed.Token!.Token));
        Assert.Equal(Email, renewed.Token.Email);
    }

    [Fact]
    public void Expiring_all_refuses_the_tokens_issued_so_far_and_records_when()
    {
        var before = _tokens.Issue(Email, lifetime: null);
        _time.Advance(TimeSpan.FromSeconds(5));

        _tokens.ExpireAll();
        var after = _tokens.Issue(Email, lifetime: null);

        Assert.False(_tokens.IsValid(before.Token));
        Assert.True(_tokens.IsValid(after.Token));
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), _tokens.ExpiredAtMs);
    }

    [Fact]
    public void The_mailbox_holds_codes_and_tokens_per_address_oldest_first()
    {
        _tokens.Request(Email, "Shop", "Kiosk");
        _tokens.Issue("other@shop.kh", lifetime: null);
        var issued = _tokens.Issue(Email, lifetime: null);

        var mine = _tokens.Mailbox("DEV@shop.kh");

        Assert.Equal(["verification-code", "token"], mine.Select(m => m.Kind));
        Assert.Equal(issued.Token, mine[1].Token);
        Assert.Equal(3, _tokens.Mailbox(null).Count);
        Assert.Empty(_tokens.Mailbox("nobody@shop.kh"));
    }
}
