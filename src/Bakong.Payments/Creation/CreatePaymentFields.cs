namespace Bakong.Payments.Creation;

/// <summary>
/// The names a violation or a request-id conflict gives to the fields of a <see cref="CreatePaymentRequest"/>: those of
/// <c>CreatePaymentRequest</c> in payment_service.proto, but for the money, which the domain takes as
/// <see cref="Currency"/> and <see cref="Amount"/> and the RPC edge maps to the paths of its <c>Money</c>.
/// </summary>
public static class CreatePaymentFields
{
    public const string RequestId = "request_id";
    public const string TerminalId = "terminal_id";
    public const string Currency = "currency";
    public const string Amount = "amount";
    public const string OrderRef = "order_ref";
    public const string ExpiresIn = "expires_in";
    public const string StoreLabel = "store_label";
    public const string TerminalLabel = "terminal_label";
    public const string PurposeOfTransaction = "purpose_of_transaction";
    public const string BillNumber = "bill_number";

    /// <summary>
    /// The request field a KHQR generation error is about (the KHQR library names fields as the official SDK does:
    /// <c>storeLabel</c>), or null when the error is about the merchant profile, which no request can fix.
    /// </summary>
    internal static string? OfKhqrField(string? khqrField) => khqrField switch
    {
        "storeLabel" => StoreLabel,
        "terminalLabel" => TerminalLabel,
        "purposeOfTransaction" => PurposeOfTransaction,
        "billNumber" => BillNumber,
        "amount" => Amount,
        _ => null,
    };
}
