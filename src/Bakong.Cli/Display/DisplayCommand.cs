using System.CommandLine;
using System.Globalization;
using Bakong.Cli.Payments;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Bakong.Grpc.Display.V1;
using Grpc.Core;
using static Bakong.Grpc.Display.V1.Display.Types;

namespace Bakong.Cli.Display;

/// <summary>
/// <c>bakong display emulate|status|test|conformance</c>: a countertop QR display in software, the gateway's view of its
/// displays, a test command to one through the gateway, and a display's conformance to the protocol.
/// </summary>
internal sealed class DisplayCommand : Command
{
    public DisplayCommand(CliContext context)
        : base("display", "The countertop QR display: emulate one on a pseudo-terminal, show the gateway's displays, send one a test command, or check a display against the protocol.")
    {
        Subcommands.Add(Emulate(context));
        Subcommands.Add(Status(context));
        Subcommands.Add(DisplayTestCommand.Create(context));
        Subcommands.Add(ConformanceCommand.Create(context));
    }

    private static Command Emulate(CliContext context)
    {
        var png = new Option<DirectoryInfo?>("--png") { Description = "Also write each screen as a PNG into this directory." };
        var link = new Option<FileInfo?>("--link") { Description = "Also make this symlink to the pseudo-terminal (a stable PortName across runs)." };
        var dropRate = new Option<double>("--drop-rate") { Description = "Fraction of bytes lost, both ways (e.g. 0.01)." };
        var corruptRate = new Option<double>("--corrupt-rate") { Description = "Fraction of bytes with a flipped bit, both ways (e.g. 0.01)." };
        var ackDelay = new Option<TimeSpan>("--ack-delay") { Description = "Answer every request this much later (e.g. 200ms).", CustomParser = r => ParseDuration(r) };
        var rebootEvery = new Option<TimeSpan?>("--reboot-every") { Description = "Reboot (new boot id, blank screen) this often (e.g. 60s).", CustomParser = r => ParseDuration(r) };
        var seed = new Option<int>("--seed") { Description = "Seed of the fault randomness.", DefaultValueFactory = _ => 1 };
        var macKey = new Option<string?>("--mac-key")
        {
            Description = "A QR MAC key in hex (1-64 bytes): the display requires the MAC trailer on QR and result screens, as one with Displays:N:QrMacKey.",
        };
        var command = new Command("emulate", "Emulate a display on a new pseudo-terminal: prints its path for Displays:N:PortName, then draws what the gateway sends until Ctrl-C.")
        {
            png, link, dropRate, corruptRate, ackDelay, rebootEvery, seed, macKey,
        };
        command.Validators.Add(r =>
        {
            foreach (var rate in new[] { dropRate, corruptRate })
            {
                if (r.GetValue(rate) is < 0 or > 0.5)
                {
                    r.AddError(rate.Name + " must be between 0 and 0.5.");
                }
            }

            if (r.GetValue(macKey) is { } key && !QrMac.TryParseKey(key, out _, out var problem))
            {
                r.AddError("--mac-key: " + problem);
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!PseudoTerminal.IsSupported)
            {
                await context.Error.WriteLineAsync("bakong display emulate needs Linux (openpty).".AsMemory(), cancellationToken).ConfigureAwait(false);
                return 1;
            }

            var options = new EmulatorOptions
            {
                DropRate = parseResult.GetValue(dropRate),
                CorruptRate = parseResult.GetValue(corruptRate),
                AckDelay = parseResult.GetValue(ackDelay),
                RebootEvery = parseResult.GetValue(rebootEvery),
                Seed = parseResult.GetValue(seed),
                MacKey = QrMac.TryParseKey(parseResult.GetValue(macKey) ?? "", out var key, out _) ? key : ReadOnlyMemory<byte>.Empty,
            };
            using var pty = PseudoTerminal.Open();
            var symlink = parseResult.GetValue(link)?.FullName;
            if (symlink is not null)
            {
                File.Delete(symlink);
                File.CreateSymbolicLink(symlink, pty.SlavePath);
            }

            var portName = symlink ?? pty.SlavePath;
            await context.Output.WriteLineAsync($"Display emulator on {pty.SlavePath}{(symlink is null ? "" : " (" + symlink + ")")}".AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"Start the gateway with: Displays__0__TerminalId=POS-01 Displays__0__PortName={portName}".AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);

            var emulator = new DisplayEmulator(new DeviceIdentity(), options, context.TimeProvider);
            using var interrupt = new Interrupt(context, cancellationToken);
            var view = new EmulatorView(context, emulator, pty.SlavePath, portName, parseResult.GetValue(png)?.FullName);
            try
            {
                await Task.WhenAll(emulator.RunAsync(pty.Master, interrupt.Token), view.RunAsync(interrupt.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: the normal way to stop.
            }
            finally
            {
                if (symlink is not null)
                {
                    File.Delete(symlink);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status(CliContext context)
    {
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var command = new Command("status", "Show each display the gateway drives: link state, boot id, firmware, last ACK, counters, the last fault. Needs an operator's key when the gateway has keys.") { server, key };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            ListDisplaysResponse response;
            try
            {
                response = await new DisplayService.DisplayServiceClient(channel)
                    .ListDisplaysAsync(new ListDisplaysRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                return GatewayClient.ReportError(context, json: false, uri, e);
            }

            if (response.Displays.Count == 0)
            {
                await context.Output.WriteLineAsync("No displays configured (Displays:0:TerminalId, Displays:0:PortName).".AsMemory(), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var now = context.TimeProvider.GetUtcNow();
            foreach (var d in response.Displays)
            {
                var state = d.LinkState.ToString().ToUpperInvariant();
                var ack = d.LastAckTime is null ? "never" : Ago(now - d.LastAckTime.ToDateTimeOffset());
                var fault = d.LastFault is { } f
                    ? $"  last fault {f.Kind.ToString().ToUpperInvariant()} {Ago(now - f.Time.ToDateTimeOffset())}: {f.Detail}"
                    : "";
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{d.TerminalId}  {state}  port {d.PortName}  boot {(d.BootId == 0 ? "-" : d.BootId.ToString("x8", CultureInfo.InvariantCulture))}  firmware {Or(d.FirmwareVersion)}  model {Or(d.Model)}  last ACK {ack}  retransmits {d.Retransmits}  dropped {d.FramesDropped}  reconnects {d.Reconnects}{(d.LastError.Length > 0 ? "  (" + d.LastError + ")" : "")}{fault}");
                await context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return response.Displays.All(d => d.LinkState == LinkState.Online) ? ExitCodes.Success : 1;
        });
        return command;
    }

    private static string Or(string text) => text.Length == 0 ? "-" : text;

    private static string Ago(TimeSpan age) => age < TimeSpan.FromSeconds(1)
        ? "just now"
        : string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0.#} s ago");

    private static TimeSpan ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "0" : result.Tokens[0].Value.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ => (text, 1),
        };
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
        {
            return TimeSpan.FromSeconds(value * scale);
        }

        result.AddError($"'{text}' is not a duration (200ms, 5s, 1m).");
        return TimeSpan.Zero;
    }
}

/// <summary>Draws the emulator's screen: redrawn in place every second on a terminal (the countdown), one line per change otherwise; PNGs on request.</summary>
internal sealed class EmulatorView(CliContext context, DisplayEmulator emulator, string path, string portName, string? pngDirectory)
{
    private readonly System.Threading.Channels.Channel<DeviceScreen> _changes = System.Threading.Channels.Channel.CreateUnbounded<DeviceScreen>();
    private int _images;

    private bool Interactive => ReferenceEquals(context.Output, Console.Out) && !Console.IsOutputRedirected;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (pngDirectory is not null)
        {
            Directory.CreateDirectory(pngDirectory);
        }

        emulator.ScreenChanged += OnChanged;
        try
        {
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1), context.TimeProvider);
            var nextTick = tick.WaitForNextTickAsync(cancellationToken).AsTask();
            while (true)
            {
                var change = _changes.Reader.WaitToReadAsync(cancellationToken).AsTask();
                var done = await Task.WhenAny(change, nextTick).ConfigureAwait(false);
                await done.ConfigureAwait(false);
                var screen = emulator.Screen;
                var changed = false;
                while (_changes.Reader.TryRead(out var s))
                {
                    screen = s;
                    changed = true;
                    await SaveImageAsync(s, cancellationToken).ConfigureAwait(false);
                }

                if (done == nextTick)
                {
                    nextTick = tick.WaitForNextTickAsync(cancellationToken).AsTask();
                }

                await DrawAsync(screen, changed, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            emulator.ScreenChanged -= OnChanged;
        }
    }

    private void OnChanged(DeviceScreen screen) => _changes.Writer.TryWrite(screen);

    private async Task DrawAsync(DeviceScreen screen, bool changed, CancellationToken cancellationToken)
    {
        var now = context.TimeProvider.GetUtcNow();
        if (Interactive)
        {
            var header = string.Create(CultureInfo.InvariantCulture, $"bakong display emulate · {path} · boot {emulator.BootId:x8} · Ctrl-C stops");
            // The redraw clears the lines printed at start, so the blank screen repeats how to bind the gateway to it.
            var hint = screen.Kind == Bakong.Display.Protocol.DisplayScreenKind.Blank
                ? "\n  Start the gateway with: Displays__0__TerminalId=POS-01 Displays__0__PortName=" + portName + "\n"
                : "";
            await context.Output.WriteAsync(("\u001b[2J\u001b[H" + ScreenText.Render(screen, now, header) + hint).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        else if (changed)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"{now:HH:mm:ss} boot {emulator.BootId:x8} {ScreenText.Summary(screen)}");
            await context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SaveImageAsync(DeviceScreen screen, CancellationToken cancellationToken)
    {
        if (pngDirectory is null || screen.Kind == Bakong.Display.Protocol.DisplayScreenKind.Blank)
        {
            return;
        }

        var n = Interlocked.Increment(ref _images);
        var name = string.Create(CultureInfo.InvariantCulture, $"{n:0000}-{screen.Kind.ToString().ToLowerInvariant()}{(screen.PaymentId.Length > 0 ? "-" + screen.PaymentId : "")}.png");
        await File.WriteAllBytesAsync(Path.Combine(pngDirectory, name), ScreenImage.Render(screen, context.TimeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
    }
}
