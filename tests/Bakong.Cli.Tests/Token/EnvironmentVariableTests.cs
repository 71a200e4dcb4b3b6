namespace Bakong.Cli.Tests.Token;

/// <summary>Environment variables are the process's: these tests run alone, and put every variable back.</summary>
[CollectionDefinition(nameof(EnvironmentVariableTests), DisableParallelization = true)]
public sealed class EnvironmentVariablesRunAlone;

[Collection(nameof(EnvironmentVariableTests))]
public sealed class EnvironmentVariableTests : IAsyncLifetime
{
    private const string Email = "owner@corner.kh";

    private SandboxedCli _cli = null!;

    public async ValueTask InitializeAsync() => _cli = await SandboxedCli.StartAsync();

    public ValueTask DisposeAsync() => _cli.DisposeAsync();

    [Fact]
    public async Task Bakong_data_and_bakong_url_stand_in_for_the_data_and_url_options()
    {
        using var data = new Variable("BAKONG_DATA", _cli.DataDirectory);
        using var url = new Variable("BAKONG_URL", _cli.Url);

        var register = await _cli.RunAsync("token", "register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");
        var verify = await _cli.RunAsync("token", "verify", "--code", await _cli.LatestCodeAsync(Email));
        var audit = await _cli.RunAsync("audit", "list");

        Assert.Equal(0, register.ExitCode);
        Assert.Equal(0, verify.ExitCode);
        Assert.True(File.Exists(Path.Combine(_cli.DataDirectory, "bakong-tokens.db")));
        Assert.Equal(3, audit.OutputLines.Length);
    }

    [Fact]
    public async Task Bakong_environment_selects_the_environment_and_a_wrong_one_is_bad_input()
    {
        using var data = new Variable("BAKONG_DATA", _cli.DataDirectory);
        using var environment = new Variable("BAKONG_ENVIRONMENT", "sit");

        var sit = await _cli.RunAsync("token", "status");
        using var wrong = new Variable("BAKONG_ENVIRONMENT", "moon");
        var moon = await _cli.RunAsync("token", "status");

        Assert.Contains("environment: sit", sit.OutputLines);
        Assert.Equal(2, moon.ExitCode);
        Assert.Equal("BAKONG_ENVIRONMENT must be sandbox, sit or production, not 'moon'.", Assert.Single(moon.ErrorLines));
    }

    /// <summary>Sets a variable of the process until disposed, then puts the old value back; only in a collection that runs alone.</summary>
    internal sealed class Variable : IDisposable
    {
        private readonly string _name;
        private readonly string? _previous;

        public Variable(string name, string? value)
        {
            _name = name;
            _previous = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
    }
}
