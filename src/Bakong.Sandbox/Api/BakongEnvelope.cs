namespace Bakong.Sandbox.Api;

/// <summary>The envelope of every Bakong answer, with the HTTP status it travels with.</summary>
internal sealed record BakongEnvelope(int ResponseCode, string ResponseMessage, int? ErrorCode, object? Data)
{
    public static BakongEnvelope Success(string message, object? data = null) => new(0, message, null, data);

    public static BakongEnvelope Error(BakongError error) => new(1, error.Message, error.Code, null);
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
