using Bakong.Payments;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Display.Payments;

/// <summary>
/// The payments' side of the displays: an <see cref="IPaymentChangeSink"/> that hands each saved change of a terminal
/// with a display to that display's <see cref="DisplayTerminal"/>, and an <see cref="IReplicaChangeSink"/> that does
/// the same with the changes other gateways save on a shared database (the displays stay on this one, the payments
/// may be served by any). Returns at once and never throws, so a dead display cannot block or fail a payment.
/// </summary>
/// <param name="terminals">The displays, one per terminal.</param>
/// <param name="store">Read when changes saved elsewhere were missed (<see cref="ChangesMissed"/>); null: nothing is read.</param>
/// <param name="logger">The displays' log.</param>
/// <param name="time">The clock of the catch-up's timeout.</param>
internal sealed class DisplayBridge(
    IEnumerable<DisplayTerminal> terminals, IPaymentStore? store = null, ILogger? logger = null, TimeProvider? time = null)
    : IPaymentChangeSink, IReplicaChangeSink
{
    private static readonly TimeSpan s_catchUpTimeout = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, DisplayTerminal> _byTerminal = terminals.ToDictionary(t => t.TerminalId, StringComparer.Ordinal);
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (_byTerminal.TryGetValue(payment.TerminalId, out var terminal))
        {
            terminal.OnSaved(payment);
        }
    }

    public bool Follows(string terminalId) => _byTerminal.ContainsKey(terminalId);

    public void SavedElsewhere(Payment payment) => Saved(payment, []);

    /// <summary>
    /// Each display catches up from the store, off the listener's loop: the payment it shows (settled elsewhere
    /// meanwhile?) and its terminal's newest pending payment (created elsewhere meanwhile?), as if just saved.
    /// </summary>
    public void ChangesMissed()
    {
        if (store is null)
        {
            return;
        }

        foreach (var terminal in _byTerminal.Values)
        {
            _ = CatchUpAsync(terminal, store);
        }
    }

    /// <summary>Never throws: a failed read leaves the screen as it was, and the next change still comes.</summary>
    internal async Task CatchUpAsync(DisplayTerminal terminal, IPaymentStore from)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_catchUpTimeout, _time);
            if (terminal.PaymentId is { } shown && await from.GetAsync(shown, timeout.Token).ConfigureAwait(false) is { } current)
            {
                terminal.OnSaved(current);
            }

            var newest = await from.ListAsync(
                new PaymentQuery { TerminalId = terminal.TerminalId, State = PaymentState.Pending, PageSize = 1 }, timeout.Token).ConfigureAwait(false);
            foreach (var payment in newest.Payments)
            {
                terminal.OnSaved(payment);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DisplayBridgeLog.CatchUpFailed(_logger, terminal.TerminalId, e.GetType().Name);
        }
    }
}
