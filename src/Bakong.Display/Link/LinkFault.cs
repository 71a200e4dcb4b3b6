namespace Bakong.Display.Link;

/// <summary>What kind of fault a display's link saw.</summary>
public enum LinkFaultKind
{
    /// <summary>The device refused a request (an ACK other than OK or BUSY): the request and the reason.</summary>
    Nak = 1,

    /// <summary>No answer: a request unanswered after its retransmits, or no valid frame for the link timeout.</summary>
    Timeout = 2,

    /// <summary>The device speaks another protocol major version, or refused ours.</summary>
    Incompatible = 3,

    /// <summary>The serial port would not open, or failed while open (an unplug).</summary>
    Port = 4,
}

/// <summary>
/// The last fault a display's link saw, kept after the link recovers (unlike <see cref="DisplayLinkStatus.LastError"/>,
/// which says why it is not online now), so support can tell what went wrong last. <see cref="Detail"/> is the host's
/// own words (message type and ACK names, a protocol version number, the operating system's port error), cut to
/// <see cref="MaxDetail"/> characters: never bytes a device sent.
/// </summary>
public sealed record LinkFault(LinkFaultKind Kind, string Detail, DateTimeOffset Time)
{
    /// <summary>The longest detail kept, in characters.</summary>
    public const int MaxDetail = 200;

    public static LinkFault Of(LinkFaultKind kind, string detail, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(detail);
        if (detail.Length > MaxDetail)
        {
            var cut = char.IsHighSurrogate(detail[MaxDetail - 2]) ? MaxDetail - 2 : MaxDetail - 1; // never half a pair
            detail = detail[..cut] + "…";
        }

        return new(kind, detail, time);
    }
}
