using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// SPEC.md §10.2: on every re-sync (the port reopened, or a new boot id) the host sends the whole desired screen in the
/// commands the device's version needs, whatever the device shows. A v1.1 device gets a result in one SHOW_RESULT; a
/// v1.0 device gets the payment's SHOW_QR without its QR (empty, 0 s left) and then SET_STATUS. Either way the QR of a
/// payment with a result is never drawn again. Every screen state of the device × every desired screen × both kinds
/// of re-sync × both device versions, on the host's link and a device joined without I/O.
/// </summary>
public sealed class ResyncTests
{
    private static readonly string[] s_states =
        ["blank", "idle", "qr", "paid", "failed", "expired", "cancelled", "expired-locally", "idle-after-paid", "qr-q-after-p-paid"];

    private static readonly string[] s_targets = ["idle", "qr-p", "qr-r", "paid", "failed", "expired", "cancelled"];

    public static TheoryData<string, string, string, byte> Cases()
    {
        var data = new TheoryData<string, string, string, byte>();
        foreach (var minor in new byte[] { 1, 0 })
        {
            foreach (var resync in new[] { "reconnect", "reboot" })
            {
                foreach (var state in s_states)
                {
                    foreach (var target in s_targets)
                    {
                        data.Add(state, target, resync, minor);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_resync_sends_the_whole_desired_screen_for_the_devices_version_and_never_draws_a_settled_payments_qr(
        string state, string target, string resync, byte deviceMinor)
    {
        var rig = new LinkRig(deviceMinor);
        var p = Screens.Payment("P", rig.Now.AddMinutes(5));
        Enter(rig, state, ref p);
        var desired = Target(rig, target, p);
        if (desired is QrScreen { PaymentId: "P" } && rig.Controller.HasResult("P"))
        {
            Assert.False(rig.Desire(desired)); // a payment only moves forward: its QR is never desired after a result
            return;
        }

        int from;
        if (resync == "reconnect")
        {
            rig.Disconnect();
            Assert.True(rig.Desire(desired));
            from = rig.ToDevice.Count;
            rig.Connect();
        }
        else
        {
            // The device reboots just as the screen changes: the command is lost, the device's BOOT brings a new boot id.
            rig.DropToDevice(1);
            Assert.True(rig.Desire(desired));
            from = rig.ToDevice.Count;
            rig.Reboot();
        }

        rig.Run(TimeSpan.FromSeconds(2));

        var effective = desired is QrScreen qr && qr.Payment.ExpireUnixMs < (ulong)rig.Now.AddSeconds(1).ToUnixTimeMilliseconds()
            ? new ResultScreen(qr.Payment, DisplayStatus.Expired, "")
            : desired;
        Assert.Equal(Expected(effective, deviceMinor), rig.ScreenCommandsSince(from).Select(Describe));
        Assert.Equal(ScreenOf(effective), Describe(rig.Device.Screen));
        Assert.Empty(rig.QrsDrawnAfterTheirResult);
    }

    private static void Enter(LinkRig rig, string state, ref DisplayPayment p)
    {
        var q = Screens.Payment("Q", rig.Now.AddMinutes(5));
        switch (state)
        {
            case "idle":
                rig.Desire(new IdleScreen("Coffee", ""));
                break;
            case "qr":
                rig.Desire(new QrScreen(p));
                break;
            case "paid" or "failed" or "expired" or "cancelled":
                rig.Desire(new QrScreen(p));
                rig.Desire(new ResultScreen(p, Enum.Parse<DisplayStatus>(state, ignoreCase: true), ""));
                break;
            case "expired-locally":
                // 1.5 s left: the device counts down 1 s (rounded down) and expires it on its own clock.
                p = Screens.Payment("P", rig.Now.AddMilliseconds(1500));
                rig.Desire(new QrScreen(p));
                rig.Run(TimeSpan.FromSeconds(2));
                Assert.Equal((DisplayScreenKind.Status, DisplayStatus.Expired), (rig.Device.Screen.Kind, rig.Device.Screen.Status));
                break;
            case "idle-after-paid":
                rig.Desire(new QrScreen(p));
                rig.Desire(new ResultScreen(p, DisplayStatus.Paid, "Thank you"));
                rig.Desire(new IdleScreen("Coffee", ""));
                break;
            case "qr-q-after-p-paid":
                rig.Desire(new QrScreen(p));
                rig.Desire(new ResultScreen(p, DisplayStatus.Paid, "Thank you"));
                rig.Desire(new QrScreen(q));
                break;
        }

        rig.Run(TimeSpan.FromMilliseconds(100));
    }

    private static DesiredScreen Target(LinkRig rig, string target, DisplayPayment p) => target switch
    {
        "idle" => new IdleScreen("Coffee", "Welcome"),
        "qr-p" => new QrScreen(p),
        "qr-r" => new QrScreen(Screens.Payment("R", rig.Now.AddMinutes(5))),
        _ => new ResultScreen(p, Enum.Parse<DisplayStatus>(target, ignoreCase: true), "msg"),
    };

    /// <summary>SPEC.md §10.2, the re-sync columns.</summary>
    private static string[] Expected(DesiredScreen screen, byte deviceMinor) => screen switch
    {
        IdleScreen => ["SHOW_IDLE"],
        QrScreen qr => ["SHOW_QR " + qr.PaymentId + " with its QR"],
        ResultScreen r when deviceMinor >= 1 => ["SHOW_RESULT " + r.PaymentId + " " + r.Status],
        ResultScreen r => ["SHOW_QR " + r.PaymentId + " without a QR, 0 s left", "SET_STATUS " + r.PaymentId + " " + r.Status],
        _ => [],
    };

    private static string ScreenOf(DesiredScreen screen) => screen switch
    {
        IdleScreen => "Idle",
        QrScreen qr => "Qr " + qr.PaymentId + " Waiting",
        ResultScreen r => "Status " + r.PaymentId + " " + r.Status,
        _ => "?",
    };

    private static string Describe(DeviceScreen screen) => screen.Kind switch
    {
        DisplayScreenKind.Idle => "Idle",
        _ => screen.Kind + " " + screen.PaymentId + " " + screen.Status,
    };

    private static string Describe(DisplayMessage message) => message switch
    {
        ShowIdleMessage => "SHOW_IDLE",
        ShowQrMessage { Qr: "", SecondsLeft: 0 } m => "SHOW_QR " + m.PaymentId + " without a QR, 0 s left",
        ShowQrMessage m when m.SecondsLeft > 0 && m.Qr.Length > 0 => "SHOW_QR " + m.PaymentId + " with its QR",
        ShowQrMessage m => "SHOW_QR " + m.PaymentId + " ?",
        SetStatusMessage m => "SET_STATUS " + m.PaymentId + " " + m.Status,
        ShowResultMessage m => "SHOW_RESULT " + m.PaymentId + " " + m.Status,
        _ => message.Type.ToString(),
    };
}
