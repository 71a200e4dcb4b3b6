using Bakong.Payments;
using Bakong.Payments.Polling;

namespace Bakong.Gateway.Tests;

/// <summary>
/// Wakes the poller when a payment is created, so its first check runs at once. The gateway itself waits for the
/// poller's next tick (<c>Polling:TickInterval</c>), which on the tests' <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>
/// never comes unless a test moves the clock; the harness stands in for that tick. The tick itself is tested without
/// it (<c>PollerLoopTests</c>, <c>SandboxPollingTests</c>).
/// </summary>
internal sealed class PollOnCreation(IPollerSignal poller) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Type == PaymentEventType.Created)
            {
                poller.Notify();
                return;
            }
        }
    }
}
