using System.Net;

namespace Bakong.Sandbox.Api;

/// <summary>The envelope of every Bakong answer, with the HTTP status it travels with.</summary>
internal sealed record BakongEnvelope(int ResponseCode, string ResponseMessage, int? ErrorCode, object? Data)
{
    public static BakongEnvelope Success(string message, object? data = null) => new(0, message, null, data);

    public static BakongEnvelope Error(BakongError error) => new(1, error.Message, error.Code, null);
}

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

/// <summary>The <c>responseMessage</c> texts of successful answers.</summary>
internal static class BakongMessages
{
    public const string EmailSent = "Email has been sent";
    public const string TokenIssued = "Token has been issued";
    public const string DeeplinkOk = "Getting deep link successfully";
    public const string TransactionOk = "Getting transaction successfully.";
    public const string AccountExists = "Account ID exists";
}
