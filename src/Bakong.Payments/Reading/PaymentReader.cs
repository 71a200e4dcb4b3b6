using Bakong.Payments.Storage;

namespace Bakong.Payments.Reading;

/// <summary>The <c>GetPayment</c> use case: the payment as it is stored now.</summary>
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
        await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false) ?? throw new PaymentNotFoundException(paymentId);
}
