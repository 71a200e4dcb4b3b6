namespace Bakong.Payments;

/// <summary>
/// Told about payment changes that other gateways saved on the same database (PostgreSQL's change notifications), for
/// what must follow every replica's changes and not only this one's: the serial display bridge, since a display hangs
/// on the gateway of its counter while any replica serves its terminal's payments. As with the watch streams, only
/// changes that appended events are told (creations, transitions, reviews), never check bookkeeping.
/// </summary>
/// <remarks>
/// This replica's own saves go to <see cref="IPaymentChangeSink"/> only. Called on the change listener's loop: an
/// implementation returns at once and does not throw. Notifications sent while the listener is disconnected are lost:
/// <see cref="ChangesMissed"/> says so when it listens again.
/// </remarks>
public interface IReplicaChangeSink
{
    /// <summary>Whether changes of this terminal's payments are wanted: each one costs the listener a read of the payment.</summary>
    bool Follows(string terminalId);

    /// <summary>Another replica saved <paramref name="payment"/> (as read after its notification).</summary>
    void SavedElsewhere(Payment payment);

    /// <summary>
    /// The listener lost its connection and listens again: what other replicas saved meanwhile was not told, and a sink
    /// that must not miss a change catches up from the store.
    /// </summary>
    void ChangesMissed();
}
