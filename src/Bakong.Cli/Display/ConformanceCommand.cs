using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bakong.Display.Conformance;

namespace Bakong.Cli.Display;

/// <summary>
/// <c>bakong display conformance --port PATH [--baud N] [--json]</c>: plays the host against a display on any serial
/// path and prints a pass/fail line per check with the SPEC.md section it checks; exits 0 only when every check passes.
/// </summary>
internal static class ConformanceCommand
{
    /// <summary>Exit code when the display fails a check.</summary>
    public const int Failed = 1;

    public static Command Create(CliContext context)
    {
        var port = new Option<string>("--port") { Description = "The display's serial port (/dev/ttyACM0, /dev/serial/by-id/..., a pty).", Required = true };
        var baud = new Option<int>("--baud")
        {
            Description = "The UART's baud rate, which sets the answer deadline (SPEC.md section 8.2); 0 for USB-CDC.",
            DefaultValueFactory = _ => 115200,
        };
        var answerTimeout = new Option<int>("--answer-timeout")
        {
            Description = "Seconds a request waits for its answer before it counts as unanswered (1-60). Latencies are still judged against the RTO.",
            DefaultValueFactory = _ => 2,
        };
        answerTimeout.Validators.Add(r =>
        {
            // An option's own validator runs only when the option is given, and sees its parsed value.
            if (r.GetValueOrDefault<int>() is < 1 or > 60)
            {
                r.AddError("--answer-timeout must be 1 to 60 seconds.");
            }
        });
        var json = new Option<bool>("--json") { Description = "Write the report as one JSON object instead of text." };
        var command = new Command(
            "conformance",
            "Check a display against the serial protocol (firmware-protocol/SPEC.md): start it, then reset or plug in the display. Takes about 15 s; exits 0 only when every check passes.")
        {
            port, baud, answerTimeout, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(baud) is not (0 or (>= 300 and <= 4_000_000)))
            {
                r.AddError("--baud must be 0 (USB-CDC) or a UART rate such as 115200.");
            }

        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new ConformanceOptions
            {
                PortName = parseResult.GetValue(port)!,
                BaudRate = parseResult.GetValue(baud),
                AnswerTimeout = TimeSpan.FromSeconds(parseResult.GetValue(answerTimeout)),
            };
            var asJson = parseResult.GetValue(json);
            ConformanceReport report;
            try
            {
                report = await DisplayConformance.RunAsync(
                    options,
                    context.TimeProvider,
                    () => WriteAsync(context.Error, $"Checking the display on {options.PortName}: reset or plug it in now.", cancellationToken),
                    check => asJson ? Task.CompletedTask : WriteAsync(context.Output, Line(check), cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                await WriteAsync(context.Error, $"bakong display conformance: cannot open {options.PortName}: {e.Message}", cancellationToken).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            if (asJson)
            {
                await WriteAsync(context.Output, Json(report).ToJsonString(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (report.Device is { } d)
                {
                    await WriteAsync(context.Output, string.Create(CultureInfo.InvariantCulture, $"Device: boot {d.BootId:x8}, protocol 1.{d.ProtocolMinor}, firmware {d.Firmware}, model {d.Model}, serial {d.Serial}, MTU {d.Mtu}, capabilities {d.Capabilities}"), cancellationToken).ConfigureAwait(false);
                }

                var passed = report.Checks.Count(c => c.Passed);
                await WriteAsync(context.Output, $"{passed} passed, {report.Checks.Count - passed} failed", cancellationToken).ConfigureAwait(false);
            }

            return report.Passed ? ExitCodes.Success : Failed;
        });
        return command;
    }

    private static string Line(ConformanceCheck check) =>
        $"{(check.Passed ? "PASS" : "FAIL")} {check.Section} {check.Id}: {check.Title} ({check.Detail})";

    private static JsonObject Json(ConformanceReport report) => new()
    {
        ["port"] = report.PortName,
        ["baud"] = report.BaudRate,
        ["device"] = report.Device is { } d
            ? new JsonObject
            {
                ["bootId"] = d.BootId.ToString("x8", CultureInfo.InvariantCulture),
                ["protocol"] = "1." + d.ProtocolMinor.ToString(CultureInfo.InvariantCulture),
                ["firmware"] = d.Firmware,
                ["model"] = d.Model,
                ["serial"] = d.Serial,
                ["mtu"] = d.Mtu,
                ["capabilities"] = d.Capabilities.ToString(),
            }
            : null,
        ["checks"] = new JsonArray([.. report.Checks.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["section"] = c.Section,
            ["title"] = c.Title,
            ["passed"] = c.Passed,
            ["detail"] = c.Detail,
        })]),
        ["passed"] = report.Passed,
    };

    private static async Task WriteAsync(TextWriter writer, string line, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
