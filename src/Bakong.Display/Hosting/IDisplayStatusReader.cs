using Bakong.Display.Link;

namespace Bakong.Display;

/// <summary>
/// The read side of the displays, for a host's status API (the gateway's <c>bakong.display.v1.DisplayService</c>):
/// the link of every configured display as it is now.
/// </summary>
public interface IDisplayStatusReader
{
    /// <summary>One report per configured display, in configuration order; empty when none is configured.</summary>
    IReadOnlyList<DisplayLinkReport> ReadAll();
}

/// <summary>A configured display and a snapshot of its link.</summary>
public sealed record DisplayLinkReport(string TerminalId, string PortName, DisplayLinkStatus Status);
