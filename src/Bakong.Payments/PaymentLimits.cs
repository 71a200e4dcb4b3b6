using Bakong.Khqr;

namespace Bakong.Payments;

/// <summary>
/// The limits of the payment API's requests, one constant each. The domain's validation checks them, the RPC edge may
/// check them before anything touches the store, and the comments of protos/bakong/payments/v1/payment_service.proto
/// state the same numbers (a test reads the comments).
/// </summary>
public static class PaymentLimits
{
    /// <summary><c>request_id</c>: the idempotency key, 1 to 64 characters.</summary>
    public const int RequestId = 64;

    /// <summary><c>terminal_id</c> of a payment and of a list filter (and so of a configured display): 1 to 64 characters.</summary>
    public const int TerminalId = 64;

    /// <summary><c>order_ref</c>: at most 64 characters.</summary>
    public const int OrderRef = 64;

    /// <summary><c>payment_id</c> in a request: at most 64 characters (the gateway's own ids are 22).</summary>
    public const int PaymentId = 64;

    /// <summary><c>store_label</c>: KHQR tag 62 sub-tag 03, as the official SDK limits it.</summary>
    public const int StoreLabel = KhqrLimits.StoreLabel;

    /// <summary><c>terminal_label</c>: KHQR tag 62 sub-tag 07, as the official SDK limits it.</summary>
    public const int TerminalLabel = KhqrLimits.TerminalLabel;

    /// <summary><c>purpose_of_transaction</c>: KHQR tag 62 sub-tag 08, as the official SDK limits it.</summary>
    public const int PurposeOfTransaction = KhqrLimits.PurposeOfTransaction;

    /// <summary><c>bill_number</c>: KHQR tag 62 sub-tag 01, as the official SDK limits it.</summary>
    public const int BillNumber = KhqrLimits.BillNumber;

    /// <summary><c>page_token</c> of <c>ListPayments</c>: the tokens the gateway makes are under 200 characters.</summary>
    public const int PageToken = 256;

    /// <summary>The page size of <c>ListPayments</c> when the request sets none (0).</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The largest page of <c>ListPayments</c> (and of the store's list); a larger page size means this.</summary>
    public const int MaxPageSize = 500;

    /// <summary><c>external_ref</c> of <c>VerifyTransaction</c>: banks' references are about 16 characters.</summary>
    public const int ExternalRef = 64;
    /// <summary><c>note</c> of <c>ResolvePayment</c>: the operator's words kept on the payment, at most 500 characters.</summary>
    public const int ResolutionNote = 500;

    /// <summary><c>deeplink.app_name</c>: at most 64 characters.</summary>
    public const int DeeplinkAppName = 64;

    /// <summary><c>deeplink.app_icon_url</c> and <c>callback_url</c>: far beyond any real URL, well within what Bakong is sent.</summary>
    public const int DeeplinkUrl = 2048;
}
