using Bakong.Payments;

namespace Bakong.Display.Payments;

/// <summary>
/// The payments' side of the displays: an <see cref="IPaymentChangeSink"/> that hands each saved change of a terminal
/// with a display to that display's <see cref="DisplayTerminal"/>, and an <see cref="IReplicaChangeSink"/> that does
/// the same with the changes other gateways save on a shared database (the displays stay on this one, the payments
/// may be served by any). Returns at once and never throws, so a dead display cannot block or fail a payment.
/// </summary>
internal sealed class DisplayBridge(IEnumerable<DisplayTerminal> terminals) : IPaymentChangeSink, IReplicaChangeSink
{
    private readonly Dictionary<string, DisplayTerminal> _byTerminal = terminals.ToDictionary(t => t.TerminalId, StringComparer.Ordinal);

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
}
