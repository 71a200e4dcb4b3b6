namespace Bakong.OpenApi.Client;

/// <summary>
/// What Bakong said about a transaction it was asked about. These are answers, not faults: a QR nobody has paid yet
/// is <see cref="NotFound"/>. Faults (no usable answer) are <see cref="BakongFault"/> on the surrounding result.
/// </summary>
public abstract record TransactionCheck
{
    private TransactionCheck()
    {
    }

    /// <summary>Bakong has the transaction (<c>responseCode</c> 0, or list status <c>SUCCESS</c>).</summary>
    public sealed record Paid(BakongTransaction Transaction) : TransactionCheck;

    /// <summary>Not (yet) paid: errorCode 1, list status <c>NOT_FOUND</c>, or an HTTP 404.</summary>
    public sealed record NotFound(string? Message) : TransactionCheck;

    /// <summary>The transaction failed: errorCode 3, list status <c>FAILED</c>.</summary>
    public sealed record Failed(string? Message) : TransactionCheck;

    /// <summary>A static QR cannot be tracked by md5: errorCode 2, list status <c>STATIC_QR</c>.</summary>
    public sealed record StaticQrUnsupported(string? Message) : TransactionCheck;
}

/// <summary>The optional <c>sourceInfo</c> of <c>/v1/generate_deeplink_by_qr</c>; all three fields are required by Bakong.</summary>
public sealed record DeeplinkSourceInfo(Uri AppIconUrl, string AppName, Uri AppDeepLinkCallback);

/// <summary>What <c>/v1/check_bakong_account</c> said about an account ID.</summary>
public enum BakongAccountState
{
    /// <summary><c>responseCode</c> 0: "Account ID exists".</summary>
    Exists,

    /// <summary>errorCode 11.</summary>
    NotFound,

    /// <summary>errorCode 12: not a well-formed account ID.</summary>
    Invalid,
}

/// <summary>
/// The account check answer. The status fields come from newer API versions (v1.0.4 "account status") and are null
/// when Bakong sends <c>data: null</c>, as the v1.0.2 document shows.
/// </summary>
public sealed record BakongAccountCheck(
    BakongAccountState State,
    string? Message,
    string? AccountStatus = null,
    bool? CanReceive = null,
    bool? Frozen = null,
    string? KycStatus = null);
