using System.CommandLine;
using System.Globalization;
using Bakong.Cli.Payments;
using Bakong.Grpc.Display.V1;
using Grpc.Core;
using static Bakong.Grpc.Display.V1.SendDisplayCommandRequest.Types;

namespace Bakong.Cli.Display;

/// <summary>
/// <c>bakong display test beep|clear|get-state|set-config --terminal T</c>: one test command to a display through the
/// running gateway (<c>SendDisplayCommand</c>, an operator's key), and the display's answer. Exit 0 when the display
/// acknowledged it (or answered GET_STATE), 1 when it refused (a NAK), did not answer, or the gateway refused.
/// </summary>
internal static class DisplayTestCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command(
            "test",
            "Send a display one test command the gateway never sends by itself (SET_CONFIG, BEEP, CLEAR, GET_STATE) through the running gateway, and print its answer. Needs an operator's key when the gateway has keys.");

        var pattern = new Option<string>("--pattern") { Description = "The sound: short, success or error.", DefaultValueFactory = _ => "short" };
        pattern.AcceptOnlyFromAmong("short", "success", "error");
        var repeat = new Option<uint>("--repeat") { Description = "How many times, 0-5 (0 plays nothing).", DefaultValueFactory = _ => 1 };
        command.Subcommands.Add(Sub(context, "beep", "BEEP: the display's buzzer.", [pattern, repeat], r => new SendDisplayCommandRequest
        {
            Beep = new Beep
            {
                Pattern = r.GetValue(pattern) switch { "success" => BeepPattern.Success, "error" => BeepPattern.Error, _ => BeepPattern.Short },
                Repeat = r.GetValue(repeat),
            },
        }));

        command.Subcommands.Add(Sub(
            context, "clear", "CLEAR: the display's own idle screen; the gateway then sends the display's current screen again at once.", [],
            _ => new SendDisplayCommandRequest { Clear = new Clear() }));

        command.Subcommands.Add(Sub(
            context, "get-state", "GET_STATE: what the display shows, and its frame counters (v1.1).", [],
            _ => new SendDisplayCommandRequest { GetState = new GetState() }));

        var brightness = new Option<uint?>("--brightness") { Description = "Brightness in percent, 0-100." };
        var beepOnResult = new Option<bool?>("--beep-on-result") { Description = "Beep when a result is drawn: true or false." };
        var language = new Option<string?>("--language") { Description = "The display's own texts: en or km." };
        language.AcceptOnlyFromAmong("en", "km");
        var setConfig = Sub(
            context, "set-config", "SET_CONFIG: the settings given (until the display reboots); the others keep their value.", [brightness, beepOnResult, language],
            r =>
            {
                var config = new SetConfig
                {
                    Language = r.GetValue(language) switch { "en" => Language.English, "km" => Language.Khmer, _ => Language.Unspecified },
                };
                if (r.GetValue(brightness) is { } b)
                {
                    config.Brightness = b;
                }

                if (r.GetValue(beepOnResult) is { } beep)
                {
                    config.BeepOnResult = beep;
                }

                return new SendDisplayCommandRequest { SetConfig = config };
            });
        setConfig.Validators.Add(r =>
        {
            if (r.GetValue(brightness) is null && r.GetValue(beepOnResult) is null && r.GetValue(language) is null)
            {
                r.AddError("set-config needs at least one of --brightness, --beep-on-result, --language.");
            }
        });
        command.Subcommands.Add(setConfig);
        return command;
    }

    private static Command Sub(CliContext context, string name, string description, Option[] options, Func<ParseResult, SendDisplayCommandRequest> request)
    {
        var terminal = new Option<string>("--terminal") { Description = "The display's terminal (Displays:N:TerminalId).", Required = true, HelpName = "id" };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var command = new Command(name, description) { terminal, server, key };
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            var message = request(parseResult);
            message.TerminalId = parseResult.GetValue(terminal)!;
            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            SendDisplayCommandResponse response;
            try
            {
                response = await new DisplayService.DisplayServiceClient(channel)
                    .SendDisplayCommandAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                return GatewayClient.ReportError(context, json: false, uri, e);
            }

            var (line, ok) = Describe(message, response);
            await context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ok ? ExitCodes.Success : 1;
        });
        return command;
    }

    /// <summary>One line: the terminal, the command, and the answer (OK, NAK with its reason, or the state).</summary>
    internal static (string Line, bool Ok) Describe(SendDisplayCommandRequest request, SendDisplayCommandResponse response)
    {
        var sent = request.CommandCase switch
        {
            SendDisplayCommandRequest.CommandOneofCase.SetConfig => "SET_CONFIG",
            SendDisplayCommandRequest.CommandOneofCase.Beep => "BEEP",
            SendDisplayCommandRequest.CommandOneofCase.Clear => "CLEAR",
            _ => "GET_STATE",
        };
        if (response.State is { } s)
        {
            var c = s.Counters;
            var counters = c is null
                ? "  (no counters: a v1.0 display)"
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"  frames ok {c.FramesOk}  dropped cobs {c.CobsInvalid} short {c.TooShort} length {c.LengthMismatch} crc {c.BadCrc} long {c.TooLong}  duplicates {c.Duplicates}");
            var payment = s.PaymentId.Length == 0 ? "" : "  payment " + s.PaymentId;
            var status = s.Status == DeviceState.Types.Status.Unspecified ? "" : "  status " + Name(s.Status.ToString());
            var left = s.Screen == DeviceState.Types.Screen.Qr ? string.Create(CultureInfo.InvariantCulture, $"  {s.SecondsLeft} s left") : "";
            return ($"{request.TerminalId}  {sent}  screen {Name(s.Screen.ToString())}{status}{payment}{left}{counters}", true);
        }

        var result = response.Ack?.Result ?? Ack.Types.Result.Unspecified;
        return result == Ack.Types.Result.Ok
            ? ($"{request.TerminalId}  {sent}  OK", true)
            : ($"{request.TerminalId}  {sent}  NAK {Name(result.ToString())}", false);
    }

    /// <summary><c>BadPayload</c> as the protocol writes it: <c>BAD_PAYLOAD</c>.</summary>
    private static string Name(string pascal) =>
        string.Concat(pascal.Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : ch.ToString())).ToUpperInvariant();
}
