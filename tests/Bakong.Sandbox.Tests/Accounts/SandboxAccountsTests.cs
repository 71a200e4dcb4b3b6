using Bakong.Sandbox.Accounts;

namespace Bakong.Sandbox.Tests.Accounts;

public sealed class SandboxAccountsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("shop")]
    [InlineData("@devb")]
    [InlineData("shop@")]
    [InlineData("shop@dev@b")]
    [InlineData("my shop@devb")]
    [InlineData("a_33_character_long_account@abcde")]
    public void Add_refuses_an_id_that_does_not_look_like_name_at_bank(string accountId)
    {
        var accounts = new SandboxAccounts([]);

        Assert.Throws<ArgumentException>(() => accounts.Add(accountId));
        Assert.Equal(BakongError.AccountInvalid, accounts.Check(accountId));
    }

    [Fact]
    public void Configured_added_and_remembered_accounts_are_found_and_others_are_not()
    {
        var accounts = new SandboxAccounts(["configured@devb"]);

        accounts.Add("a_32_character_long_account@abcd");
        accounts.Remember("receiver@devb");

        Assert.All(["configured@devb", "a_32_character_long_account@abcd", "receiver@devb"], id => Assert.Null(accounts.Check(id)));
        Assert.Equal(BakongError.AccountNotFound, accounts.Check("RECEIVER@devb"));
    }

    [Fact]
    public void A_remembered_receiver_that_is_no_account_id_is_still_answered_invalid()
    {
        var accounts = new SandboxAccounts([]);

        accounts.Remember("");
        accounts.Remember("not an account");

        Assert.Equal(BakongError.AccountInvalid, accounts.Check(""));
        Assert.Equal(BakongError.AccountInvalid, accounts.Check("not an account"));
    }
}
