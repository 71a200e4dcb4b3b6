using Bakong.Payments.Storage;

namespace Bakong.Payments.Reading;

/// <summary>The <c>GetPayment</c> use case (and the QR image endpoints'): the payment as it is stored now.</summary>
public sealed class PaymentReader
{
    private readonly IPaymentStore _store;

    public PaymentReader(IPaymentStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    public async Task<Payment> GetAsync(string paymentId, CancellationToken cancellationToken) =>
        await FindAsync(paymentId, cancellationToken).ConfigureAwait(false) ?? throw new PaymentNotFoundException(paymentId);

    /// <summary>The payment, or null when no payment has this id.</summary>
    public Task<Payment?> FindAsync(string paymentId, CancellationToken cancellationToken) => _store.GetAsync(paymentId, cancellationToken);
}
