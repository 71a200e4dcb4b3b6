namespace Bakong.Display.Link;

/// <summary>The host's timing (display protocol v1 defaults).</summary>
public sealed record HostLinkOptions
{
    /// <summary>Retransmit timeout of a request; 2× the frame's wire time at <see cref="BaudRate"/> is added per frame.</summary>
    public TimeSpan Rto { get; init; } = TimeSpan.FromMilliseconds(250);

    public int MaxRetransmits { get; init; } = 3;

    /// <summary>PING after this long without sending anything.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The link is down after this long without a valid frame from the device.</summary>
    public TimeSpan LinkTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A write that takes longer means the port is dead.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>0 for a link without a real UART (USB-CDC, pty, memory): no wire time added to the RTO.</summary>
    public int BaudRate { get; init; }

    public string HostName { get; init; } = "bakong-gateway";

    /// <summary>
    /// The RTO for a request of <paramref name="wireBytes"/> bytes: on a UART, 2 × the wire time of the request and of
    /// its largest answer (a HELLO_ACK is at most 317 bytes, any other answer at most 20) at 10 bits per byte (8N1).
    /// </summary>
    public TimeSpan RtoFor(int wireBytes, Protocol.MessageType type)
    {
        if (BaudRate <= 0)
        {
            return Rto;
        }

        var answerBytes = type == Protocol.MessageType.Hello ? 317 : 20;
        return Rto + TimeSpan.FromSeconds(2.0 * (wireBytes + answerBytes) * 10 / BaudRate);
    }
}
