namespace Bakong.Sandbox;

/// <summary>
/// <c>POST control/pay</c>: the customer pays a QR. Give the QR payload (amount, currency and receiver are read from
/// it) or its md5 (registered with <c>control/qrs</c> first, or paid with what is given here). Every other field
/// overrides what the QR says, e.g. a wrong <see cref="Amount"/> on purpose.
/// </summary>
public sealed record SandboxPayRequest
{
    public string? Md5 { get; init; }

    public string? Qr { get; init; }

    /// <summary>Bakong acknowledges the payment this long after the call; until then the md5 is not found.</summary>
    public long? DelayMs { get; init; }

    public decimal? Amount { get; init; }

    /// <summary><c>USD</c> or <c>KHR</c>.</summary>
    public string? Currency { get; init; }

    public string? FromAccountId { get; init; }

    public string? ToAccountId { get; init; }

    public string? Description { get; init; }

    public string? InstructionRef { get; init; }

    public string? ExternalRef { get; init; }

    public string? TrackingStatus { get; init; }

    public string? ReceiverBank { get; init; }

    public string? ReceiverBankAccount { get; init; }

    /// <summary>Pay even though the QR has expired (a bank app would refuse).</summary>
    public bool Force { get; init; }
}

/// <summary><c>POST control/fail</c>: the customer's payment of a QR fails (Bakong errorCode 3).</summary>
public sealed record SandboxFailRequest
{
    public string? Md5 { get; init; }

    public string? Qr { get; init; }

    public long? DelayMs { get; init; }
}

/// <summary>
/// <c>POST control/transfers</c>: someone sends money from one account to another without a QR, as a banking app's
/// transfer does; the merchant's refund to a payer is one. Bakong finds it by its hash from then on
/// (<c>check_transaction_by_hash</c>), never by an md5.
/// </summary>
public sealed record SandboxTransferRequest
{
    /// <summary>The sender, e.g. the merchant's account for a refund. Required.</summary>
    public string? FromAccountId { get; init; }

    /// <summary>The receiver, e.g. the payer's account for a refund. Required.</summary>
    public string? ToAccountId { get; init; }

    /// <summary>Major units, positive. Required.</summary>
    public decimal? Amount { get; init; }

    /// <summary><c>USD</c> or <c>KHR</c>. Required.</summary>
    public string? Currency { get; init; }

    public string? Description { get; init; }

    /// <summary>Bakong acknowledges the transfer this long after the call; until then its hash is not found.</summary>
    public long? DelayMs { get; init; }
}

/// <summary><c>POST control/tokens</c>: issue a token directly, optionally for an e-mail (then registered, so renewable).</summary>
public sealed record SandboxTokenRequest
{
    public string? Email { get; init; }

    /// <summary>Overrides the configured lifetime, e.g. to start with a token that expires in two days.</summary>
    public long? LifetimeSeconds { get; init; }
}

/// <summary><c>POST control/qrs</c>: make a QR known so that its md5 alone can be paid, and static QRs answer errorCode 2.</summary>
public sealed record SandboxQrRequest
{
    public string? Qr { get; init; }
}

/// <summary><c>POST control/accounts</c>: make <c>check_bakong_account</c> find an account.</summary>
public sealed record SandboxAccountRequest
{
    public string? AccountId { get; init; }
}

/// <summary>A token the sandbox issued.</summary>
public sealed record SandboxIssuedToken(string Token, string Id, string? Email, long IssuedAtMs, long ExpiresAtMs);

/// <summary>What the sandbox "e-mailed": a verification code or a token.</summary>
public sealed record SandboxMail(string Email, string Kind, string? Code, string? Token, long SentAtMs);
