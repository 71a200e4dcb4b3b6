using System.Collections.Concurrent;
using Bakong.Display;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Bakong.Grpc.Display.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static Bakong.Grpc.Display.V1.SendDisplayCommandRequest.Types;
using LinkState = Bakong.Grpc.Display.V1.Display.Types.LinkState;
using ProtoFault = Bakong.Grpc.Display.V1.LinkFault;

namespace Bakong.Gateway.Tests.Display;

/// <summary>
/// <c>SendDisplayCommand</c> and <c>ListDisplays</c>' last fault, with the gateway's display on a real pseudo-terminal:
/// on the other side the emulator, or a scripted device where a test needs a device that refuses or stays silent. The
/// display links run in real time, as a device on a port does; every wait is on an answer or a screen, never a sleep.
/// </summary>
public sealed class DisplayCommandTests
{
    private const string Terminal = "till-1";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentQueue<DeviceScreen> _seen = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Set_config_beep_clear_and_get_state_reach_the_emulated_display_and_its_answers_come_back()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        emulator.ScreenChanged += _seen.Enqueue;
        var device = emulator.RunAsync(pty.Master, Ct);
        await using var gateway = Gateway(pty.SlavePath);
        await WhenOnline(gateway);
        await emulator.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Idle, MerchantName: "Demo Shop" }, s_timeout, Ct);
        var displays = new DisplayService.DisplayServiceClient(gateway.Channel);

        var config = await displays.SendDisplayCommandAsync(
            new() { TerminalId = Terminal, SetConfig = new() { Brightness = 30, BeepOnResult = false, Language = Language.Khmer } }, cancellationToken: Ct);
        var beep = await displays.SendDisplayCommandAsync(
            new() { TerminalId = Terminal, Beep = new() { Pattern = BeepPattern.Success, Repeat = 2 } }, cancellationToken: Ct);
        var clear = await displays.SendDisplayCommandAsync(new() { TerminalId = Terminal, Clear = new() }, cancellationToken: Ct);
        var state = await displays.SendDisplayCommandAsync(new() { TerminalId = Terminal, GetState = new() }, cancellationToken: Ct);

        Assert.Equal(Ack.Types.Result.Ok, config.Ack.Result);
        Assert.Equal(Ack.Types.Result.Ok, beep.Ack.Result);
        Assert.Equal(Ack.Types.Result.Ok, clear.Ack.Result);
        // CLEAR drew the device's own idle screen (no merchant text); the gateway sent its idle screen again at once.
        Assert.Contains(_seen, s => s is { Kind: DisplayScreenKind.Idle, MerchantName: "" });
        await emulator.WaitForScreenAsync(
            _ => _seen.SkipWhile(s => s is not { Kind: DisplayScreenKind.Idle, MerchantName: "" }).Any(s => s is { Kind: DisplayScreenKind.Idle, MerchantName: "Demo Shop" }),
            s_timeout,
            Ct);
        Assert.Equal(DeviceState.Types.Screen.Idle, state.State.Screen);
        Assert.True(state.State.Counters.FramesOk >= 5, "a v1.1 device counts the frames it took");
    }

    [Fact]
    public async Task A_nak_is_the_answer_and_the_last_fault_and_a_silent_display_is_unavailable_with_the_links_reason()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        var device = ScriptedDeviceAsync(pty.Master, Ct);
        await using var gateway = Gateway(pty.SlavePath);
        await WhenOnline(gateway);
        var displays = new DisplayService.DisplayServiceClient(gateway.Channel);

        var nak = await displays.SendDisplayCommandAsync(new() { TerminalId = Terminal, Beep = new() { Pattern = BeepPattern.Short, Repeat = 1 } }, cancellationToken: Ct);
        var listed = Assert.Single((await displays.ListDisplaysAsync(new(), cancellationToken: Ct)).Displays);
        var silent = await Assert.ThrowsAsync<RpcException>(
            () => displays.SendDisplayCommandAsync(new() { TerminalId = Terminal, GetState = new() }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(Ack.Types.Result.BadPayload, nak.Ack.Result);
        Assert.Equal((ProtoFault.Types.Kind.Nak, "Beep refused: BadPayload"), (listed.LastFault.Kind, listed.LastFault.Detail));
        Assert.Equal((LinkState.Online, 0x0BADu, "fake-1.0"), (listed.LinkState, listed.BootId, listed.FirmwareVersion));
        Assert.NotNull(listed.LastAckTime);
        Assert.Equal(StatusCode.Unavailable, silent.StatusCode);
        Assert.Equal("DISPLAY_NO_ANSWER", silent.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Matches("GetState seq [0-9]+ unanswered after 3 retransmits", silent.Status.Detail);
    }

    [Fact]
    public async Task An_unknown_terminal_is_not_found_a_display_not_online_is_failed_precondition_and_its_port_error_is_its_last_fault()
    {
        using var directory = new TempDirectory();
        var notATty = Path.Combine(directory.Path, "not-a-tty");
        await File.WriteAllTextAsync(notATty, "", Ct); // exists, but will not open as a serial port
        await using var gateway = Gateway(notATty);
        var faulted = await WhenLink(gateway, s => s.LastFault is not null);
        var displays = new DisplayService.DisplayServiceClient(gateway.Channel);

        var unknown = await Assert.ThrowsAsync<RpcException>(
            () => displays.SendDisplayCommandAsync(new() { TerminalId = "till-9", GetState = new() }, cancellationToken: Ct).ResponseAsync);
        var offline = await Assert.ThrowsAsync<RpcException>(
            () => displays.SendDisplayCommandAsync(new() { TerminalId = Terminal, Clear = new() }, cancellationToken: Ct).ResponseAsync);
        var listed = Assert.Single((await displays.ListDisplaysAsync(new(), cancellationToken: Ct)).Displays);

        Assert.Equal((StatusCode.NotFound, "DISPLAY_NOT_FOUND"), (unknown.StatusCode, unknown.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason));
        Assert.Equal((StatusCode.FailedPrecondition, "DISPLAY_NOT_ONLINE"), (offline.StatusCode, offline.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason));
        Assert.StartsWith("The display's link is DISCONNECTED: ", offline.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(LinkFaultKind.Port, faulted.LastFault!.Kind);
        Assert.Equal(ProtoFault.Types.Kind.Port, listed.LastFault.Kind);
        Assert.InRange(listed.LastFault.Detail.Length, 1, Bakong.Display.Link.LinkFault.MaxDetail);
    }

    public static TheoryData<string, SendDisplayCommandRequest> BadRequests => new()
    {
        { "terminal_id", new() { TerminalId = "till 1", GetState = new() } },
        { "terminal_id", new() { TerminalId = "", GetState = new() } },
        { "command", new() { TerminalId = Terminal } },
        { "set_config.brightness", new() { TerminalId = Terminal, SetConfig = new() { Brightness = 101 } } },
        { "set_config.language", new() { TerminalId = Terminal, SetConfig = new() { Language = (Language)7 } } },
        { "beep.pattern", new() { TerminalId = Terminal, Beep = new() { Repeat = 1 } } },
        { "beep.repeat", new() { TerminalId = Terminal, Beep = new() { Pattern = BeepPattern.Short, Repeat = 6 } } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_command_is_invalid_argument_naming_the_field(string field, SendDisplayCommandRequest request)
    {
        await using var gateway = new GatewayFactory(); // the request is checked before any display is looked up
        var displays = new DisplayService.DisplayServiceClient(gateway.Channel);

        var e = await Assert.ThrowsAsync<RpcException>(() => displays.SendDisplayCommandAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    /// <summary>
    /// A device by hand: it answers HELLO and PING, acknowledges screen commands, refuses BEEP with BAD_PAYLOAD and
    /// never answers GET_STATE.
    /// </summary>
    private static async Task ScriptedDeviceAsync(Stream port, CancellationToken cancellationToken)
    {
        var decoder = new FrameDecoder();
        var buffer = new byte[512];
        try
        {
            while (true)
            {
                var read = await port.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                for (var i = 0; i < read; i++)
                {
                    if (!decoder.Push(buffer[i], out var frame) || !frame.AckRequested)
                    {
                        continue;
                    }

                    DisplayMessage? answer = frame.MessageType switch
                    {
                        MessageType.Hello => new HelloAckMessage(1, 1, 0x0BAD, 640, (uint)(DeviceCapabilities.Qr | DeviceCapabilities.Beep), "fake-1.0", "scripted", "S1", 0),
                        MessageType.Ping => new PongMessage(0x0BAD, 1, DisplayScreenKind.Idle),
                        MessageType.Beep => new AckMessage(AckResult.BadPayload, frame.Type),
                        MessageType.GetState => null,
                        _ => new AckMessage(AckResult.Ok, frame.Type),
                    };
                    if (answer is not null)
                    {
                        await port.WriteAsync(FrameCodec.Encode(answer.Type, FrameOptions.Response, frame.Seq, answer.ToPayload()), cancellationToken);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The test ended, or the gateway closed the port.
        }
    }

    private static void RequirePty()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }
    }

    private static Task<DisplayLinkStatus> WhenOnline(GatewayFactory gateway) => WhenLink(gateway, s => s.State == DisplayLinkState.Online);

    private static Task<DisplayLinkStatus> WhenLink(GatewayFactory gateway, Func<DisplayLinkStatus, bool> predicate)
    {
        var controller = gateway.Services.GetRequiredService<ConfiguredDisplays>().Find(Terminal)!.Controller;
        var reached = new TaskCompletionSource<DisplayLinkStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(DisplayLinkStatus s)
        {
            if (predicate(s))
            {
                reached.TrySetResult(s);
            }
        }

        controller.StatusChanged += OnChanged;
        OnChanged(controller.Status);
        return reached.Task.WaitAsync(s_timeout, Ct);
    }

    private static GatewayFactory Gateway(string portName)
    {
        var gateway = new GatewayFactory
        {
            ConfigureHost = builder =>
            {
                builder.UseSetting("Displays:0:TerminalId", Terminal);
                builder.UseSetting("Displays:0:PortName", portName);
                builder.ConfigureTestServices(services => services.AddSingleton(new DisplayClock(TimeProvider.System)));
            },
        };
        _ = gateway.Services; // start it: the display service opens the port
        return gateway;
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("bakong-display-cmd-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
