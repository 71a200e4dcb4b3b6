using Bakong.Display;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Display.V1;
using Bakong.Payments;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using static Bakong.Grpc.Display.V1.Display.Types;
using static Bakong.Grpc.Display.V1.SendDisplayCommandRequest.Types;

namespace Bakong.Gateway.Display;

/// <summary>
/// <c>bakong.display.v1.DisplayService</c>: the configured displays and their links (<c>bakong display status</c>), and
/// an operator's test commands to one of them (<c>bakong display test</c>). Operators only, like every service but
/// payments and health (<see cref="Access.AccessPolicy.Of"/>).
/// </summary>
internal sealed class DisplayGrpcService(ConfiguredDisplays displays, DisplayClock clock) : DisplayService.DisplayServiceBase
{
    /// <summary>
    /// How long a test command may wait for its answer: behind a screen command (RTO × 4 at most), then its own request
    /// and retransmits (about 1 s), with room for a slow UART. The link gives up sooner when the device is silent.
    /// </summary>
    internal static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>SPEC.md §6.2: a device MAY cap BEEP's repeat at 5, so more would not mean the same on every display.</summary>
    internal const int MaxBeepRepeat = 5;

    public override Task<ListDisplaysResponse> ListDisplays(ListDisplaysRequest request, ServerCallContext context)
    {
        var response = new ListDisplaysResponse();
        foreach (var (terminalId, portName, s) in displays.ReadAll())
        {
            // The full name: inside Bakong.Gateway, `Display` is this namespace.
            response.Displays.Add(new Bakong.Grpc.Display.V1.Display
            {
                TerminalId = terminalId,
                PortName = portName,
                LinkState = ToProto(s.State),
                BootId = s.BootId ?? 0,
                FirmwareVersion = s.FirmwareVersion ?? "",
                Model = s.Model ?? "",
                Serial = s.Serial ?? "",
                LastAckTime = s.LastAckTime is { } ack ? Timestamp.FromDateTimeOffset(ack) : null,
                Retransmits = s.Retransmits,
                FramesDropped = s.FramesDropped,
                Reconnects = s.Reconnects,
                LastError = s.Problem ?? (s.State == DisplayLinkState.Online ? "" : s.LastError ?? ""),
                LastFault = s.LastFault is { } fault // LinkFaultKind's values are the contract's
                    ? new Grpc.Display.V1.LinkFault { Kind = (Grpc.Display.V1.LinkFault.Types.Kind)(int)fault.Kind, Detail = fault.Detail, Time = Timestamp.FromDateTimeOffset(fault.Time) }
                    : null,
            });
        }

        return Task.FromResult(response);
    }

    public override async Task<SendDisplayCommandResponse> SendDisplayCommand(SendDisplayCommandRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);

        // The terminal id is checked before it reaches an error or the audit: a configured one passes the same rule.
        if (Identifier.Check(request.TerminalId, "terminal_id", PaymentLimits.TerminalId) is { } bad)
        {
            throw RpcErrors.InvalidArgument([bad]);
        }

        var command = Command(request);
        var display = displays.Find(request.TerminalId)
            ?? throw RpcErrors.DisplayError(Code.NotFound, "DISPLAY_NOT_FOUND", "No display is configured for this terminal_id.", ("terminal_id", request.TerminalId));
        var status = display.Controller.Status;
        if (status.State != DisplayLinkState.Online)
        {
            var why = status.LastError is { Length: > 0 } error ? ": " + error : "";
            throw RpcErrors.DisplayError(
                Code.FailedPrecondition, "DISPLAY_NOT_ONLINE", $"The display's link is {ToProto(status.State).ToString().ToUpperInvariant()}{why}.",
                ("terminal_id", request.TerminalId));
        }

        // SPEC.md §9.1: a host does not send BEEP to a device without the capability.
        if (command.Message is BeepMessage && (status.Capabilities & DeviceCapabilities.Beep) == 0)
        {
            throw RpcErrors.DisplayError(
                Code.FailedPrecondition, "DISPLAY_CANNOT_BEEP", "The display has no BEEP capability (its HELLO_ACK).", ("terminal_id", request.TerminalId));
        }

        if (!display.Controller.TrySubmit(command))
        {
            throw RpcErrors.DisplayError(
                Code.Unavailable, "DISPLAY_BUSY", "Another test command for this display has no answer yet; try again.", ("terminal_id", request.TerminalId));
        }

        DeviceCommandAnswer answer;
        try
        {
            answer = await command.Answer.WaitAsync(AnswerTimeout, clock.Time, context.CancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            display.Controller.Withdraw(command, "the caller stopped waiting");
            throw RpcErrors.DisplayError(
                Code.DeadlineExceeded, "DISPLAY_NO_ANSWER", $"The display did not answer within {AnswerTimeout.TotalSeconds:0} s.", ("terminal_id", request.TerminalId));
        }
        catch (OperationCanceledException)
        {
            display.Controller.Withdraw(command, "the caller stopped waiting");
            throw;
        }

        return answer switch
        {
            { State: { } state } => new SendDisplayCommandResponse { State = ToProto(state) },
            { Ack: { } ack } => new SendDisplayCommandResponse { Ack = new Ack { Result = (Ack.Types.Result)((int)ack + 1) } },
            _ => throw RpcErrors.DisplayError(
                Code.Unavailable, "DISPLAY_NO_ANSWER", "The display did not answer: " + answer.NotAnswered + ".", ("terminal_id", request.TerminalId)),
        };
    }

    /// <summary>The protocol command of <paramref name="request"/>, its values checked (INVALID_ARGUMENT naming the field).</summary>
    private static DeviceCommand Command(SendDisplayCommandRequest request)
    {
        switch (request.CommandCase)
        {
            case SendDisplayCommandRequest.CommandOneofCase.SetConfig:
                var config = request.SetConfig;
                if (config.HasBrightness && config.Brightness > 100)
                {
                    throw RpcErrors.InvalidArgument("set_config.brightness", "must be 0-100 (percent)");
                }

                byte? language = config.Language switch
                {
                    Language.Unspecified => null,
                    Language.English => 0,
                    Language.Khmer => 1,
                    _ => throw RpcErrors.InvalidArgument("set_config.language", "must be LANGUAGE_ENGLISH or LANGUAGE_KHMER"),
                };
                return DeviceCommand.SetConfig(config.HasBrightness ? (byte)config.Brightness : null, config.HasBeepOnResult ? config.BeepOnResult : null, language);
            case SendDisplayCommandRequest.CommandOneofCase.Beep:
                var beep = request.Beep;
                if (beep.Pattern is not (BeepPattern.Short or BeepPattern.Success or BeepPattern.Error))
                {
                    throw RpcErrors.InvalidArgument("beep.pattern", "must be BEEP_PATTERN_SHORT, BEEP_PATTERN_SUCCESS or BEEP_PATTERN_ERROR");
                }

                if (beep.Repeat > MaxBeepRepeat)
                {
                    throw RpcErrors.InvalidArgument("beep.repeat", $"must be 0-{MaxBeepRepeat}");
                }

                return DeviceCommand.Beep((byte)beep.Pattern, (byte)beep.Repeat);
            case SendDisplayCommandRequest.CommandOneofCase.Clear:
                return DeviceCommand.Clear();
            case SendDisplayCommandRequest.CommandOneofCase.GetState:
                return DeviceCommand.GetState();
            default:
                throw RpcErrors.InvalidArgument("command", "one of set_config, beep, clear, get_state is required");
        }
    }

    private static LinkState ToProto(DisplayLinkState state) => state switch
    {
        DisplayLinkState.Connecting => LinkState.Connecting,
        DisplayLinkState.Online => LinkState.Online,
        DisplayLinkState.Offline => LinkState.Offline,
        DisplayLinkState.Incompatible => LinkState.Incompatible,
        _ => LinkState.Disconnected,
    };

    private static DeviceState ToProto(StateMessage state) => new()
    {
        // A value this gateway does not know (a newer device) is UNSPECIFIED, never a number the contract does not name.
        Screen = System.Enum.IsDefined(state.Screen) ? (DeviceState.Types.Screen)((int)state.Screen + 1) : DeviceState.Types.Screen.Unspecified,
        Status = System.Enum.IsDefined(state.Status) ? (DeviceState.Types.Status)(int)state.Status : DeviceState.Types.Status.Unspecified,
        SecondsLeft = state.SecondsLeft,
        PaymentId = state.PaymentId, // escaped and cut by the link (DeviceText), as all text from a device
        Counters = state.Counters is { } c
            ? new DeviceCounters
            {
                FramesOk = c.FramesOk, CobsInvalid = c.CobsInvalid, TooShort = c.TooShort, LengthMismatch = c.LengthMismatch,
                BadCrc = c.BadCrc, TooLong = c.TooLong, Duplicates = c.Duplicates,
            }
            : null,
    };
}
