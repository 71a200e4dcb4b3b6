namespace Bakong.OpenApi.Client;

/// <summary>
/// The Bakong endpoints that take no bearer token: registration (<c>/v1/request_token</c>, <c>/v1/verify</c>) and
/// renewal (<c>/v1/renew_token</c>). Separate from the authenticated client so the token manager can depend on it
/// without a cycle (the authenticated client depends on the token manager).
/// </summary>
public interface IBakongRegistrationApi
{
    /// <summary>Asks Bakong to e-mail a verification code.</summary>
    Task<BakongResult> RequestTokenAsync(string email, string organization, string project, CancellationToken cancellationToken);

    /// <summary>Exchanges the e-mailed code for a token.</summary>
    Task<BakongResult<string>> VerifyAsync(string code, CancellationToken cancellationToken);

    /// <summary>Issues a new token for the registered e-mail.</summary>
    Task<BakongResult<string>> RenewTokenAsync(string email, CancellationToken cancellationToken);
}
