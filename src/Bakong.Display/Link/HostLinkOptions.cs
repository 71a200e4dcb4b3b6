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
    /// The display's QR MAC key (SPEC.md §6.5; empty: none). A device that advertises QR_MAC gets the trailer on every
    /// SHOW_QR and SHOW_RESULT; without a key such a device is not driven. Secret: never logged.
    /// </summary>
    public ReadOnlyMemory<byte> QrMacKey { get; init; }

    /// <summary>
    /// The language the display draws its own texts in, sent in a SET_CONFIG after every handshake before the screen
    /// (the device keeps it in RAM only and starts in English after a boot, SPEC.md §6.2). Null: never sent.
    /// </summary>
    public Protocol.DisplayLanguage? Language { get; init; }

    /// <summary>
    /// The RTO for a request of <paramref name="wireBytes"/> bytes (SPEC.md §8.2): on a UART, 2 × the wire time of the
    /// request and of its largest answer at 10 bits per byte (8N1).
    /// </summary>
    public TimeSpan RtoFor(int wireBytes, Protocol.MessageType type) =>
        BaudRate <= 0 ? Rto : Rto + WireTime(2 * (wireBytes + LargestAnswer(type)), BaudRate);

    /// <summary>The largest wire frame that answers <paramref name="request"/> (SPEC.md §8.1).</summary>
    public static int LargestAnswer(Protocol.MessageType request) => request switch
    {
        Protocol.MessageType.Hello => 321,
        Protocol.MessageType.GetState => 78,
        Protocol.MessageType.Ping => 22,
        _ => 15,
    };

    /// <summary>How long <paramref name="bytes"/> take on a UART at <paramref name="baudRate"/>, 8N1 (10 bits a byte).</summary>
    public static TimeSpan WireTime(int bytes, int baudRate) => TimeSpan.FromSeconds(bytes * 10.0 / baudRate);
}
