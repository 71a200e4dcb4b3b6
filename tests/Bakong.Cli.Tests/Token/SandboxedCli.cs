extern alias testing;

using System.Net.Http.Json;
using System.Text.Json;
using Bakong.Sandbox;
using Microsoft.Extensions.Time.Testing;
using testing::Bakong.Testing;

namespace Bakong.Cli.Tests.Token;

/// <summary>
/// A simulated Bakong on 127.0.0.1:0, an empty temporary <c>--data</c> directory, and <c>bakong</c> runs in process —
/// all on one <see cref="FakeTimeProvider"/> starting at <see cref="Cli.NowInstant"/>, so tokens age when the test says.
/// Every run's output is kept, to check that no token ever appears in it.
/// </summary>
internal sealed class SandboxedCli : IAsyncDisposable
{
    private readonly List<CliRun> _runs = [];

    private SandboxedCli(FakeTimeProvider clock, SandboxServer sandbox, string dataDirectory)
    {
        Clock = clock;
        Sandbox = sandbox;
        DataDirectory = dataDirectory;
    }

    public FakeTimeProvider Clock { get; }

    public SandboxServer Sandbox { get; }

    /// <summary>The sandbox's base URL without the trailing slash, as a user passes it to <c>--url</c>.</summary>
    public string Url => Sandbox.BaseUrl.ToString().TrimEnd('/');

    public string DataDirectory { get; }

    /// <summary>Everything every run wrote, stdout and stderr.</summary>
    public string AllOutput => string.Concat(_runs.Select(run => run.Output + run.Error));

    public static async Task<SandboxedCli> StartAsync()
    {
        var clock = new FakeTimeProvider(Cli.NowInstant);
        var sandbox = await TestSandbox.StartAsync(clock);
        return new SandboxedCli(clock, sandbox, Directory.CreateTempSubdirectory("bakong-cli-").FullName);
    }

    /// <summary><c>bakong token ARGS --data DIR --url SANDBOX</c>.</summary>
    public Task<CliRun> TokenAsync(params string[] args) => RunAsync(["token", .. args, "--data", DataDirectory, "--url", Url]);

    /// <summary><c>bakong audit list ARGS --data DIR</c>.</summary>
    public Task<CliRun> AuditAsync(params string[] args) => RunAsync(["audit", "list", .. args, "--data", DataDirectory]);

    public Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public async Task<CliRun> RunWithInputAsync(string stdin, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var context = new CliContext(Clock, new StringReader(stdin), output, error);
        var exitCode = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        var run = new CliRun(exitCode, output.ToString(), error.ToString());
        _runs.Add(run);
        return run;
    }

    /// <summary>What the sandbox "e-mailed" to <paramref name="email"/>, read as a user would: GET /control/mailbox.</summary>
    public async Task<IReadOnlyList<SandboxMail>> MailboxAsync(string email) =>
        await Sandbox.ControlAsync<List<SandboxMail>>(HttpMethod.Get, "control/mailbox?email=" + Uri.EscapeDataString(email));

    public async Task<string> LatestCodeAsync(string email) =>
        (await MailboxAsync(email)).Last(mail => mail.Kind == "verification-code").Code!;

    /// <summary>Every token the sandbox issued to <paramref name="email"/>: none may appear in any output.</summary>
    public async Task<IReadOnlyList<string>> TokensIssuedToAsync(string email) =>
        [.. (await MailboxAsync(email)).Where(mail => mail.Token is not null).Select(mail => mail.Token!)];

    /// <summary>register, read the code from the mailbox, verify: what a new user does first.</summary>
    public async Task OnboardAsync(string email)
    {
        var register = await TokenAsync("register", "--email", email, "--organization", "Corner Shop", "--project", "POS");
        Assert.Equal(0, register.ExitCode);
        var verify = await TokenAsync("verify", "--code", await LatestCodeAsync(email));
        Assert.Equal(0, verify.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
