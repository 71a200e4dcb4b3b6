using System.Globalization;
using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

/// <summary>
/// The emulator's device (<see cref="DisplayDevice"/>) against <c>vectors/sessions.txt</c>: every script of host commands
/// played on a fresh device, step by step, with the answers, events, screen model and redraws the C reference device
/// recorded (SPEC.md §10, §11; the format is vectors/README.md's). Deterministic: the device is driven without I/O, the
/// time moves only in <c>wait</c> steps, 10 ms at a time, as the C runner polls.
/// </summary>
public sealed class SessionScriptTests
{
    private const string Sessions = "sessions.txt";
    private const uint ScriptBootId = 0x5EB0071D;
    private static readonly byte[] s_macKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    public static TheoryData<string> ScriptNames => VectorFiles.Names(Sessions, "script");

    public static TheoryData<string> MacScriptNames => VectorFiles.Names(Sessions, "script-mac");

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void A_session_script_plays_on_the_emulated_device_as_recorded(string name) => Play("script", name, key: null);

    [Theory]
    [MemberData(nameof(MacScriptNames))]
    public void A_qr_mac_session_script_plays_on_the_emulated_device_with_the_key_as_recorded(string name) => Play("script-mac", name, s_macKey);

    private static void Play(string kind, string name, byte[]? key)
    {
        var commands = VectorFiles.Records(Sessions, "command").ToDictionary(t => t[1], t => (Type: VectorFiles.Byte(t[2]), Payload: VectorFiles.Hex(t[3])));
        var steps = VectorFiles.Record(Sessions, kind, name)[2..];
        var runner = new Runner(key);
        foreach (var step in steps)
        {
            var input = step[..step.IndexOf('=', StringComparison.Ordinal)];
            Assert.Equal(step, input + "=" + runner.Step(input, commands));
        }
    }

    private sealed class Runner
    {
        private readonly byte[]? _key;
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        private DisplayDevice _device;
        private uint _boots;
        private byte _seq;
        private byte[] _last = [];

        public Runner(byte[]? key)
        {
            _key = key;
            _device = Boot();
            _device.TakeRedraw();
            Collect(wantSeq: null); // the host ACKs the first BOOT
        }

        public string Step(string input, Dictionary<string, (byte Type, byte[] Payload)> commands)
        {
            string description;
            if (input is "hello" or "hello-1.0")
            {
                var hello = new HelloMessage(1, input == "hello" ? (byte)1 : (byte)0, 1767226352402, 1000, 3000, "script");
                description = Send((byte)MessageType.Hello, hello.ToPayload());
            }
            else if (input == "again")
            {
                _device.Receive(_last, _now);
                description = Collect(_seq);
            }
            else if (input == "reboot")
            {
                _boots++;
                _device = Boot();
                description = Collect(wantSeq: null);
            }
            else if (input.StartsWith("wait:", StringComparison.Ordinal))
            {
                var until = _now.AddMilliseconds(int.Parse(input[5..], CultureInfo.InvariantCulture));
                var parts = new List<string>();
                while (_now < until)
                {
                    _now = _now.AddMilliseconds(10);
                    _device.Poll(_now);
                    if (Collect(wantSeq: null) is var events and not "-")
                    {
                        parts.Add(events);
                    }
                }

                description = parts.Count == 0 ? "-" : string.Join('+', parts);
            }
            else
            {
                var plus = input.IndexOf('+', StringComparison.Ordinal);
                var (type, payload) = commands[plus < 0 ? input : input[..plus]];
                if (plus >= 0)
                {
                    // "+mac:<counter>" or "+mac:<counter>:bad" (the tag's last bit flipped)
                    var mac = input[(plus + "+mac:".Length)..].Split(':');
                    payload = QrMac.Append(_key, _device.BootId, (MessageType)type, payload, uint.Parse(mac[0], CultureInfo.InvariantCulture));
                    if (mac.Length > 1)
                    {
                        payload[^1] ^= 1;
                    }
                }

                description = Send(type, payload);
            }

            var screen = _device.Screen;
            var id = screen.PaymentId.Length == 0 ? "-" : Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(screen.PaymentId));
            return $"{description}/{Name(screen.Kind)}/{Name(screen.Status)}/{id}/{(_device.TakeRedraw() ? "draw" : "same")}";
        }

        private DisplayDevice Boot() => new(
            new DeviceIdentity("1.1.0", "script", "S1"),
            new DeviceLinkOptions { BootId = ScriptBootId + _boots, Capabilities = DeviceCapabilities.Qr | DeviceCapabilities.Beep, MacKey = _key },
            _now);

        private string Send(byte type, byte[] payload)
        {
            _seq = _seq == byte.MaxValue ? (byte)1 : (byte)(_seq + 1); // the host keeps its seq across reboots
            _last = FrameCodec.Encode((MessageType)type, FrameOptions.AckRequested, _seq, payload);
            _device.Receive(_last, _now);
            return Collect(_seq);
        }

        /// <summary>The answer to <paramref name="wantSeq"/> and the device's events, which the host ACKs at once (an ACK may release more).</summary>
        private string Collect(byte? wantSeq)
        {
            string? answer = null;
            var events = new List<string>();
            for (var round = 0; round < 8; round++)
            {
                var outputs = new List<byte[]>();
                while (_device.TryTakeOutput(out var output))
                {
                    outputs.Add(output.Wire);
                }

                if (outputs.Count == 0)
                {
                    break;
                }

                var decoder = new FrameDecoder();
                foreach (var b in outputs.SelectMany(w => w))
                {
                    if (!decoder.Push(b, out var frame) || DisplayMessages.TryRead(frame.Type, frame.Payload, out var message) != AckResult.Ok)
                    {
                        continue;
                    }

                    if (frame.IsResponse)
                    {
                        if (frame.Seq == wantSeq)
                        {
                            answer ??= message switch
                            {
                                AckMessage ack => Name(ack.Result),
                                PongMessage => "PONG",
                                StateMessage => "STATE",
                                HelloAckMessage => "HELLO_ACK",
                                _ => "?",
                            };
                        }
                    }
                    else if (frame.AckRequested)
                    {
                        events.Add(message is StateChangedMessage changed ? "STATE_CHANGED." + Reason(changed.Reason) : frame.MessageType == MessageType.Boot ? "BOOT" : "?");
                        var ack = new AckMessage(AckResult.Ok, frame.Type);
                        _device.Receive(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, frame.Seq, ack.ToPayload()), _now);
                    }
                }
            }

            var parts = new List<string>();
            if (wantSeq is not null)
            {
                parts.Add(answer ?? "-");
            }

            parts.AddRange(events);
            return parts.Count == 0 ? "-" : string.Join('+', parts);
        }

        private static string Name(AckResult result) => result switch
        {
            AckResult.Ok => "OK",
            AckResult.UnknownType => "UNKNOWN_TYPE",
            AckResult.BadPayload => "BAD_PAYLOAD",
            AckResult.UnsupportedVersion => "UNSUPPORTED_VERSION",
            AckResult.TooLarge => "TOO_LARGE",
            AckResult.Busy => "BUSY",
            AckResult.BadState => "BAD_STATE",
            AckResult.AuthFailed => "AUTH_FAILED",
            _ => "?",
        };

        private static string Name(DisplayScreenKind kind) => kind.ToString().ToUpperInvariant();

        private static string Name(DisplayStatus status) => status.ToString().ToUpperInvariant();

        private static string Reason(byte reason) => reason switch
        {
            StateChangedMessage.Rendered => "rendered",
            StateChangedMessage.ExpiredLocally => "expired_locally",
            _ => "button",
        };
    }
}
