using Bakong.Cli.Tests.Payments;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Cli.Tests.Token;

/// <summary><c>--token-key</c> (the gateway's <c>Bakong:Tokens:KeyPath</c>) and <c>bakong token rotate-key</c>.</summary>
public sealed class TokenKeyCommandTests : IAsyncLifetime
{
    private const string Email = "owner@corner.kh";

    private SandboxedCli _cli = null!;

    public async ValueTask InitializeAsync() => _cli = await SandboxedCli.StartAsync();

    public ValueTask DisposeAsync() => _cli.DisposeAsync();

    [Fact]
    public async Task A_token_key_elsewhere_is_where_the_token_is_sealed_and_without_it_the_token_does_not_open()
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("bakong-key-").FullName, "token.key");
        var issued = _cli.Sandbox.State.IssueToken(Email, TimeSpan.FromDays(30));

        var set = await _cli.TokenAsync("set", issued.Token, "--token-key", keyFile);
        var withKey = await _cli.TokenAsync("status", "--token-key", keyFile);

        Assert.Equal((0, 0), (set.ExitCode, withKey.ExitCode));
        Assert.True(File.Exists(keyFile));
        Assert.False(File.Exists(Path.Combine(_cli.DataDirectory, BakongDataDirectory.TokensFileName + ".key")));

        var withoutKey = await _cli.TokenAsync("status");
        Assert.Equal(1, withoutKey.ExitCode);
        Assert.DoesNotContain(issued.Token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_key_keeps_the_token_readable_under_a_new_key_and_says_where_the_old_key_is()
    {
        var issued = _cli.Sandbox.State.IssueToken(Email, TimeSpan.FromDays(30));
        Assert.Equal(0, (await _cli.TokenAsync("set", issued.Token)).ExitCode);
        var keyFile = Path.Combine(_cli.DataDirectory, BakongDataDirectory.TokensFileName + ".key");
        var oldKey = File.ReadAllBytes(keyFile);

        var rotate = await _cli.TokenAsync("rotate-key");
        var status = await _cli.TokenAsync("status");

        Assert.Equal(0, rotate.ExitCode);
        var kept = keyFile + ".old-20260101T000000Z";
        Assert.Equal(
            [
                $"The token key {keyFile} is new and every stored token is encrypted under it.",
                $"The old key is kept as {kept}: it opens only copies of the token store made before now (backups); delete it once none is needed (at once if the key leaked).",
            ],
            rotate.OutputLines);
        Assert.Equal(oldKey, File.ReadAllBytes(kept));
        Assert.NotEqual(oldKey, File.ReadAllBytes(keyFile));
        Assert.Equal(0, status.ExitCode);
        Assert.DoesNotContain(issued.Token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_key_without_a_token_store_says_so_and_creates_nothing()
    {
        var rotate = await _cli.TokenAsync("rotate-key");

        Assert.Equal(1, rotate.ExitCode);
        Assert.Equal($"There is no token store in {_cli.DataDirectory}: nothing to rotate.", Assert.Single(rotate.ErrorLines));
        Assert.Empty(Directory.GetFiles(_cli.DataDirectory));
    }

    [Fact]
    public async Task Rotate_key_is_refused_while_a_gateway_holds_the_store_and_changes_nothing()
    {
        await using var gateway = new CliGateway();
        var options = gateway.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value;
        var keyFile = options.ResolvedKeyPath;
        var key = File.ReadAllBytes(keyFile);
        var files = Directory.GetFiles(gateway.DataDirectory).Order().ToArray();

        var rotate = await Cli.RunAsync("token", "rotate-key", "--data", gateway.DataDirectory);

        Assert.Equal(1, rotate.ExitCode);
        Assert.Contains("is in use by another process", Assert.Single(rotate.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(key, File.ReadAllBytes(keyFile));
        Assert.Equal(files, Directory.GetFiles(gateway.DataDirectory).Order().ToArray());
    }

    [Fact]
    public async Task The_gateway_keeps_its_token_key_at_Bakong_Tokens_KeyPath_and_none_in_the_data_directory()
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("bakong-key-").FullName, "gateway.key");
        await using var gateway = new CliGateway();
        gateway.Settings["Bakong:Tokens:KeyPath"] = keyFile;

        var options = gateway.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value;

        Assert.Equal(keyFile, options.ResolvedKeyPath);
        Assert.True(File.Exists(keyFile));
        Assert.False(File.Exists(Path.Combine(gateway.DataDirectory, BakongDataDirectory.TokensFileName + ".key")));
    }
}
