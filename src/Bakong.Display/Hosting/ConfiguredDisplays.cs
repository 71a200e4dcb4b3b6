using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display;

/// <summary>
/// One display of <c>Displays:N</c>: its settings and its controller, which holds the screen the display should show
/// and its link status. It shows <see cref="Idle"/> until something sets another screen, so a display that comes online
/// before the first payment greets the customer rather than staying blank.
/// </summary>
public sealed class ConfiguredDisplay
{
    public ConfiguredDisplay(DisplayPortOptions options, string merchantName, DisplayLanguage? language = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(merchantName);
        Options = options;
        Language = language;
        Idle = new IdleScreen(Utf8Text.Truncate(merchantName, PayloadLimits.Text), options.IdleText);
        Controller = new DisplayController(options.TerminalId);
        Controller.SetDesired(Idle);
    }

    public DisplayPortOptions Options { get; }

    public DisplayController Controller { get; }

    /// <summary>The idle screen: the merchant's name, cut to what SHOW_IDLE carries, over <see cref="DisplayPortOptions.IdleText"/>.</summary>
    public IdleScreen Idle { get; }

    /// <summary>The language the link sends the display after every handshake (<see cref="HostLinkOptions.Language"/>); null: none.</summary>
    public DisplayLanguage? Language { get; }
}

/// <summary>
/// Every configured display, in configuration order: the displays the port owner runs, health and metrics observe, and
/// whatever drives screens (Bakong.Display.Payments) looks up by terminal id. Read through
/// <see cref="IDisplayStatusReader"/> by whoever only reports on them.
/// </summary>
public sealed class ConfiguredDisplays : IDisplayStatusReader
{
    private readonly Dictionary<string, ConfiguredDisplay> _byTerminal;

    public ConfiguredDisplays(IEnumerable<ConfiguredDisplay> displays)
    {
        All = [.. displays];
        _byTerminal = All.ToDictionary(d => d.Options.TerminalId, StringComparer.Ordinal);
    }

    public IReadOnlyList<ConfiguredDisplay> All { get; }

    /// <summary>The display bound to <paramref name="terminalId"/>, or null when that terminal has none.</summary>
    public ConfiguredDisplay? Find(string terminalId) => _byTerminal.GetValueOrDefault(terminalId);

    public IReadOnlyList<DisplayLinkReport> ReadAll() =>
        [.. All.Select(d => new DisplayLinkReport(d.Options.TerminalId, d.Options.PortName, d.Controller.Status))];
}
