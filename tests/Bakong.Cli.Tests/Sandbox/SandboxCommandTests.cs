using System.Text;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests.Sandbox;

public sealed class SandboxCommandTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;

    private string Url => _sandbox.BaseUrl.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync() =>
        _sandbox = await SandboxServer.StartAsync(0, new FakeTimeProvider(Cli.NowInstant), logging: _ => { }, cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    [Fact]
    public async Task Pay_by_qr_makes_the_sandbox_report_it_paid_with_the_qrs_amount_and_receiver()
    {
        var qr = DynamicUsdQr(1.25m);

        var run = await Cli.RunAsync("sandbox", "pay", "--url", Url, "--qr", qr);

        Assert.Equal(0, run.ExitCode);
        using var answer = JsonDocument.Parse(run.Output);
        Assert.Equal("PAID", answer.RootElement.GetProperty("status").GetString());
        Assert.Equal(1.25m, answer.RootElement.GetProperty("transaction").GetProperty("amount").GetDecimal());
        Assert.Equal("shop@aclb", answer.RootElement.GetProperty("transaction").GetProperty("toAccountId").GetString());
    }

    [Fact]
    public async Task Fail_by_md5_makes_the_sandbox_report_the_payment_failed()
    {
        var run = await Cli.RunAsync("sandbox", "fail", "--url", Url, "--md5", "d60f3db96913029a2af979a1662c1e72");

        Assert.Equal(0, run.ExitCode);
        using var answer = JsonDocument.Parse(run.Output);
        Assert.Equal("FAILED", answer.RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData]
    [InlineData("--md5", "abc", "--qr", "000201")]
    public async Task Pay_needs_exactly_one_of_md5_and_qr(params string[] target)
    {
        var run = await Cli.RunAsync(["sandbox", "pay", "--url", Url, .. target]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("Give exactly one of --md5 and --qr.", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("1,25")]
    [InlineData("1,2,3")]
    public async Task Pay_refuses_an_amount_that_is_not_digits_and_a_point_naming_the_option(string amount)
    {
        var qr = DynamicUsdQr(1.25m);

        var run = await Cli.RunAsync("sandbox", "pay", "--url", Url, "--qr", qr, "--amount", amount);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"--amount: '{amount}' is not an amount like 12.50", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Paying_the_same_qr_twice_is_refused_with_the_sandboxs_reason()
    {
        var qr = DynamicUsdQr(2m);
        await Cli.RunAsync("sandbox", "pay", "--url", Url, "--qr", qr);

        var again = await Cli.RunAsync("sandbox", "pay", "--url", Url, "--qr", qr);

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("sandbox answered 409: ", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Faults_sets_exactly_the_faults_given_shows_them_and_clears_them()
    {
        var set = await Cli.RunAsync("sandbox", "faults", "--url", Url, "--latency-ms", "1500", "--server-error-rate", "0.2");
        var shown = await Cli.RunAsync("sandbox", "faults", "--url", Url);

        Assert.Equal(0, set.ExitCode);
        using (var faults = JsonDocument.Parse(shown.Output))
        {
            Assert.Equal(1500, faults.RootElement.GetProperty("latencyMs").GetInt32());
            Assert.Equal(0.2, faults.RootElement.GetProperty("serverErrorRate").GetDouble());
            Assert.False(faults.RootElement.GetProperty("geoBlocked").GetBoolean());
        }

        await Cli.RunAsync("sandbox", "faults", "--url", Url, "--geo-blocked");
        Assert.Equal(0, _sandbox.State.Faults.LatencyMs);
        Assert.True(_sandbox.State.Faults.GeoBlocked);

        var cleared = await Cli.RunAsync("sandbox", "faults", "--url", Url, "--clear");
        Assert.Equal(0, cleared.ExitCode);
        Assert.Equal(SandboxFaults.None, _sandbox.State.Faults);
    }

    [Fact]
    public async Task Commands_without_a_sandbox_say_how_to_start_one_and_exit_1()
    {
        await using var gone = await SandboxServer.StartAsync(0, logging: _ => { }, cancellationToken: TestContext.Current.CancellationToken);
        var url = gone.BaseUrl.ToString();
        await gone.DisposeAsync();

        var run = await Cli.RunAsync("sandbox", "fail", "--url", url, "--md5", "abc");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("start one with 'bakong sandbox serve'", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_prints_its_url_answers_on_it_and_stops_on_cancel()
    {
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new LineSignallingWriter(line =>
        {
            if (line.StartsWith("Bakong sandbox at ", StringComparison.Ordinal))
            {
                started.TrySetResult(line["Bakong sandbox at ".Length..].Split(' ')[0]);
            }
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var context = new CliContext(new FakeTimeProvider(Cli.NowInstant), new StringReader(""), output, new StringWriter());
        var serving = CliApp.RunAsync(["sandbox", "serve", "--port", "0"], context, stop.Token);

        var url = await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var shown = await Cli.RunAsync("sandbox", "faults", "--url", url);
        await stop.CancelAsync();

        Assert.Equal(0, shown.ExitCode);
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    private static string DynamicUsdQr(decimal amount)
    {
        var result = new KhqrGenerator(new FakeTimeProvider(Cli.NowInstant)).Generate(new KhqrRequest
        {
            BakongAccountId = "shop@aclb",
            MerchantName = "Sokha Coffee",
            Currency = KhqrCurrency.Usd,
            Amount = amount,
            ExpirationTimestamp = Cli.Now + 300_000,
        });
        Assert.True(result.IsSuccess);
        return result.Value.Qr;
    }

    // Hands every completed line to a callback, so a test can wait for a line instead of polling.
    private sealed class LineSignallingWriter(Action<string> onLine) : StringWriter
    {
        private readonly StringBuilder _line = new();

        public override void Write(char value)
        {
            if (value == '\n')
            {
                onLine(_line.ToString());
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? string.Empty)
            {
                Write(c);
            }
        }

        public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToString());
            Write('\n');
            return Task.CompletedTask;
        }
    }
}
