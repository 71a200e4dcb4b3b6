using System.Diagnostics;
using System.Text.Json.Nodes;
using Bakong.Cli.Tests.Payments;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Transport;

namespace Bakong.Cli.Tests.Display;

/// <summary>
/// <c>bakong display conformance</c> over real pseudo-terminals, in real time: the C# emulator passes every check; the C
/// reference device (firmware-protocol/examples/posix-device) passes every check; and each of its deliberate
/// violations (<c>--broken=</c>) fails exactly the check of the rule it breaks.
/// </summary>
/// <remarks>
/// The timing checks are generous where the SPEC allows (an answer is late only past the host's 250 ms RTO, judged on a
/// median), so they hold on a busy 2-core machine; the deliberately late device answers 400 ms late.
/// </remarks>
public sealed class ConformanceCommandTests
{
    // A bound, not a sync point: a run takes about 15 s on a quiet machine, and minutes when both cores are busy.
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> BrokenModes => new()
    {
        { "no-dedupe", "deduplication" },
        { "no-boot-repeat", "boot-repeats" },
        { "late-answers", "answer-deadline" },
        { "qr-after-result", "result-latch" },
        { "banner", "frames-only" },
    };

    [Fact]
    public async Task The_emulator_passes_every_check()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var (exitCode, output) = await RunAsync(["--port", pty.SlavePath, "--answer-timeout", "15"], () => emulator.RunAsync(pty.Master, stop.Token));

        Assert.True(exitCode == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines.Where(l => l.StartsWith("PASS", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal)), l => Assert.StartsWith("PASS", l, StringComparison.Ordinal));
        Assert.Contains("PASS §11.2 result-latch: ", output, StringComparison.Ordinal);
        Assert.Contains("Device: boot ", output, StringComparison.Ordinal);
        Assert.EndsWith("16 passed, 0 failed", lines[^1], StringComparison.Ordinal);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task The_c_reference_device_passes_every_check()
    {
        var failed = await FailedChecksOfReferenceDeviceAsync(broken: null);

        Assert.Empty(failed);
    }

    [Theory]
    [MemberData(nameof(BrokenModes))]
    public async Task Each_deliberate_violation_of_the_reference_device_fails_exactly_its_check(string broken, string check)
    {
        var failed = await FailedChecksOfReferenceDeviceAsync(broken);

        Assert.Equal([check], failed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("61")]
    public async Task An_answer_timeout_outside_1_to_60_seconds_is_refused_naming_the_option(string seconds)
    {
        var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(
            ["display", "conformance", "--port", "/nonexistent/ttyNONE", "--answer-timeout", seconds], new CliContext(TimeProvider.System, TextReader.Null, new StringWriter(), error), Ct);

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains("--answer-timeout must be 1 to 60 seconds.", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_that_does_not_exist_is_bad_input()
    {
        var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(
            ["display", "conformance", "--port", "/nonexistent/ttyNONE"], new CliContext(TimeProvider.System, TextReader.Null, new StringWriter(), error), Ct);

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.StartsWith("bakong display conformance: cannot open /nonexistent/ttyNONE: ", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the conformance check against posix-device on a pty pair joined by a relay (the device opens one pty's slave
    /// like a serial port; the check opens the other's), and returns the ids of the checks that failed.
    /// </summary>
    private static async Task<string[]> FailedChecksOfReferenceDeviceAsync(string? broken)
    {
        RequirePty();
        var device = await ReferenceDevice.PathAsync();
        using var deviceSide = PseudoTerminal.Open();
        using var hostSide = PseudoTerminal.Open();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var relay = Task.WhenAll(CopyAsync(deviceSide.Master, hostSide.Master, stop.Token), CopyAsync(hostSide.Master, deviceSide.Master, stop.Token));
        Process? process = null;
        try
        {
            var (exitCode, output) = await RunAsync(
                ["--port", hostSide.SlavePath, "--json", "--answer-timeout", "15"],
                () =>
                {
                    var start = new ProcessStartInfo(device) { RedirectStandardOutput = true, RedirectStandardError = true };
                    if (broken is not null)
                    {
                        start.ArgumentList.Add("--broken=" + broken);
                    }

                    start.ArgumentList.Add(deviceSide.SlavePath);
                    process = Process.Start(start)!;
                    process.OutputDataReceived += (_, _) => { }; // its screens: drained, not needed
                    process.ErrorDataReceived += (_, _) => { };
                    process.BeginOutputReadLine();
                    process.BeginErrorReadLine();
                    return Task.CompletedTask;
                });

            var report = JsonNode.Parse(output)!;
            var failed = report["checks"]!.AsArray().Where(c => !(bool)c!["passed"]!).Select(c => (string)c!["id"]!).ToArray();
            Assert.Equal(failed.Length == 0 ? 0 : 1, exitCode);
            return failed;
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill();
                await process.WaitForExitAsync(Ct);
            }

            process?.Dispose();
            await stop.CancelAsync();
            await relay;
        }
    }

    /// <summary>Runs <c>bakong display conformance</c>; <paramref name="startDevice"/> runs once it listens on the port.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string[] args, Func<Task> startDevice)
    {
        var output = new LineWriter();
        var error = new LineWriter();
        var run = CliApp.RunAsync(["display", "conformance", .. args], new CliContext(TimeProvider.System, TextReader.Null, output, error), Ct);
        await error.LineAsync("Checking the display on ");
        var device = startDevice();
        try
        {
            var exitCode = await run.WaitAsync(s_runTimeout, Ct);
            _ = device; // an emulator runs until its token is cancelled
            return (exitCode, output.ToString());
        }
        catch (TimeoutException)
        {
            Assert.Fail("no report in " + s_runTimeout + "; so far:\n" + output + error);
            throw;
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private static void RequirePty()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }
    }
}
