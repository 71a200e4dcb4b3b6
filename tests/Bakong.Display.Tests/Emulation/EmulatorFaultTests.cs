using System.Numerics;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Tests.Link;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Emulation;

public sealed class EmulatorFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_corrupt_rate_of_one_flips_exactly_one_bit_in_every_byte_and_a_drop_rate_of_one_loses_everything()
    {
        var data = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var flipped = new MemoryStream();
        await new FaultyStream(flipped, 0, 1, new Random(3)).WriteAsync(data, Ct);
        var dropped = new MemoryStream();
        await new FaultyStream(dropped, 1, 0, new Random(3)).WriteAsync(data, Ct);

        Assert.All(data.Zip(flipped.ToArray()), p => Assert.Equal(1, BitOperations.PopCount((uint)(p.First ^ p.Second))));
        Assert.Empty(dropped.ToArray());
    }

    [Fact]
    public async Task An_ack_delay_holds_every_answer_back_by_that_much()
    {
        var clock = new FakeTimeProvider();
        var (deviceStream, peerStream) = DuplexStream.CreatePair();
        await using var peer = new ScriptedPeer(peerStream);
        using var device = new DeviceLinkSession(new DeviceIdentity(), new DeviceLinkOptions { AckDelay = TimeSpan.FromMilliseconds(200) }, clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = device.RunAsync(deviceStream, stop.Token);
        await peer.NextAsync(MessageType.Boot);

        await peer.SendAsync(new HelloMessage(1, 0, 0, 1000, 3000, "test"), FrameOptions.AckRequested, 1);
        await peer.SendAsync(new ShowIdleMessage("Coffee", ""), FrameOptions.AckRequested, 2);
        await device.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle); // both requests handled, answers held
        var answer = peer.NextAsync(MessageType.HelloAck);
        clock.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(answer.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(device.BootId, ((HelloAckMessage)(await answer).Message).BootId);
        await stop.CancelAsync();
        await run;
    }
}
