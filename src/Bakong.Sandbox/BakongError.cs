using System.Net;

namespace Bakong.Sandbox;

/// <summary>Bakong's <c>errorCode</c> values with their real messages and the HTTP status we answer them with.</summary>
internal sealed record BakongError(int Code, string Message, HttpStatusCode Status)
{
    public static readonly BakongError NotFound = new(1, "Transaction could not be found. Please check and try again.", HttpStatusCode.OK);
    public static readonly BakongError StaticQr = new(2, "Sorry, the system does not support static QR code.", HttpStatusCode.OK);
    public static readonly BakongError TransactionFailed = new(3, "Transaction failed.", HttpStatusCode.OK);
    public static readonly BakongError DeeplinkProvider = new(4, "Error occurred on requesting deeplink from provider.", HttpStatusCode.OK);
    public static readonly BakongError MissingFields = new(5, "Missing required fields.", HttpStatusCode.BadRequest);
    public static readonly BakongError TooManyItems = new(5, "Maximum 50 items allowed.", HttpStatusCode.BadRequest);
    public static readonly BakongError Unauthorized = new(6, "Unauthorized, not yet requested for token or code invalid", HttpStatusCode.Unauthorized);
    public static readonly BakongError EmailRegistered = new(8, "Email has been registered already.", HttpStatusCode.OK);
    public static readonly BakongError NotRegistered = new(10, "Not registered yet", HttpStatusCode.OK);
    public static readonly BakongError AccountNotFound = new(11, "Account ID not found", HttpStatusCode.OK);
    public static readonly BakongError AccountInvalid = new(12, "Account ID is invalid.", HttpStatusCode.OK);
}
