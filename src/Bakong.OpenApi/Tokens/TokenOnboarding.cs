using System.Globalization;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tokens;

/// <summary>The outcome of a <c>bakong token ...</c> operation: a message for the user, never the token itself.</summary>
/// <param name="Succeeded">Whether the operation did what was asked.</param>
/// <param name="Message">One or two sentences saying what happened and what to do next.</param>
/// <param name="Status">The token status after the operation.</param>
public sealed record TokenCommandResult(bool Succeeded, string Message, TokenStatus Status);

/// <summary>
/// Token onboarding as a user does it: register (Bakong e-mails a code), verify the code (Bakong returns a token),
/// or paste a token received by e-mail; then renew and check status. Backs <c>bakong token register|verify|set|renew|status</c>.
/// </summary>
public sealed class TokenOnboarding(BakongTokenManager manager, IBakongRegistrationApi registration)
{
    /// <summary>Bakong's limit on an e-mail address.</summary>
    public const int MaxEmailLength = 30;
    private const int MaxNameLength = 100;

    /// <summary>Why <see cref="ReadPasted"/> refused a value, for the person who pasted it.</summary>
    public const string NotATokenMessage =
        "That is not a Bakong token (a JWT: three dot-separated parts starting with 'eyJ'); paste the token from Bakong's e-mail.";

    /// <summary>
    /// A token as an operator pasted it (<c>bakong token set</c>, the admin API's <c>SetToken</c>): without surrounding
    /// space or a leading <c>Bearer </c>; null when it is not a Bakong token. Bakong's tokens are JWTs; anything else
    /// pasted (the verification code, a line of the e-mail) is a mistake.
    /// </summary>
    public static string? ReadPasted(string? pasted)
    {
        var value = pasted?.Trim() ?? string.Empty;
        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            value = value["Bearer ".Length..].Trim();
        }

        var parts = value.Split('.');
        return parts.Length == 3
            && value.StartsWith("eyJ", StringComparison.Ordinal)
            && parts[0].Length > 0
            && parts[1].Length > 0
            && parts.All(part => part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            ? value
            : null;
    }

    /// <summary>An e-mail address Bakong accepts: at most 30 characters, one word, with something on each side of an '@'.</summary>
    public static bool IsEmail(string? email)
    {
        var at = email?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        return email is { Length: > 0 and <= MaxEmailLength } && at > 0 && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
    }

    /// <summary><c>bakong token register --email --organization --project</c>: asks Bakong to e-mail a verification code.</summary>
    public async Task<TokenCommandResult> RegisterAsync(string email, string organization, string project, CancellationToken cancellationToken)
    {
        email = email?.Trim() ?? string.Empty;
        organization = organization?.Trim() ?? string.Empty;
        project = project?.Trim() ?? string.Empty;
        if (!IsEmail(email))
        {
            return Fail($"'{email}' is not an e-mail address Bakong accepts (at most {MaxEmailLength} characters).");
        }

        if (organization.Length is 0 or > MaxNameLength || project.Length is 0 or > MaxNameLength)
        {
            return Fail($"Organization and project are required, 1 to {MaxNameLength} characters each.");
        }

        var result = await registration.RequestTokenAsync(email, organization, project, cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            manager.SetEmail(email);
            return Ok($"Bakong sent a verification code to {email}. Run 'bakong token verify --code <code>' with the code from that e-mail.");
        }

        if (result.ErrorCode == 8)
        {
            // Registered before: renewal by e-mail works, so remember it.
            manager.SetEmail(email);
            return Fail($"{email} is already registered with Bakong. If you have its token, run 'bakong token set <token>'; otherwise run 'bakong token renew'.");
        }

        return Fail(result.ErrorCode switch
        {
            7 => "Bakong's e-mail server is down; try again later.",
            5 => "Bakong says a required field is missing: give --email, --organization and --project.",
            _ => $"Registration failed: {result.Failure}",
        });
    }

    /// <summary><c>bakong token verify --code</c>: exchanges the e-mailed code for a token and saves it.</summary>
    public async Task<TokenCommandResult> VerifyAsync(string code, CancellationToken cancellationToken)
    {
        code = code?.Trim() ?? string.Empty;
        if (code.Length == 0)
        {
            return Fail("Give the verification code from Bakong's e-mail: 'bakong token verify --code <code>'.");
        }

        var result = await registration.VerifyAsync(code, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            // Bakong answers a wrong code like a bad token (HTTP 401, errorCode 6), which the client reports as an
            // Unauthorized fault; here it means the code, not a token.
            return Fail(result.ErrorCode == 6 || result.Fault?.Kind == BakongFaultKind.Unauthorized
                ? "Bakong did not accept that code (wrong or already used). Check the e-mail, or register again."
                : $"Verification failed: {result.Failure}");
        }

        var token = manager.Set(result.Value);
        return Ok($"Token saved for {manager.Environment}. {DescribeExpiry(token.ExpiresAt)}");
    }

    /// <summary><c>bakong token set &lt;token&gt; [--email]</c>: saves a token received by e-mail.</summary>
    public TokenCommandResult Set(string token, string? email = null)
    {
        var value = token?.Trim() ?? string.Empty;
        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            value = value["Bearer ".Length..].Trim();
        }

        if (value.Length == 0 || value.Any(char.IsWhiteSpace))
        {
            return Fail("That is not a token: paste the token from Bakong's e-mail as one word.");
        }

        if (email is not null && !IsEmail(email))
        {
            return Fail($"'{email}' is not an e-mail address Bakong accepts (at most {MaxEmailLength} characters).");
        }

        var expiresAt = JwtExpiry.Read(value);
        if (expiresAt is { } exp && manager.IsPast(exp))
        {
            return Fail($"That token expired at {Format(exp)}; it was not saved. Get a new one with 'bakong token renew'.");
        }

        var saved = manager.Set(value, email);
        var note = saved.ExpiresAt is null ? " It is not a JWT, so its expiry is unknown." : string.Empty;
        return Ok($"Token saved for {manager.Environment}. {DescribeExpiry(saved.ExpiresAt)}{note}");
    }

    /// <summary><c>bakong token renew</c>: asks <c>/v1/renew_token</c> for a new token with the registered e-mail.</summary>
    public async Task<TokenCommandResult> RenewAsync(CancellationToken cancellationToken)
    {
        var outcome = await manager.RenewNowAsync(cancellationToken).ConfigureAwait(false);
        return outcome.Token is { } token
            ? Ok($"Token renewed for {manager.Environment}. {DescribeExpiry(token.ExpiresAt)}")
            : Fail(outcome.Failure ?? "Renewal failed.");
    }

    /// <summary><c>bakong token status</c>: environment, state, expiry and days left.</summary>
    public TokenCommandResult Status()
    {
        var status = manager.GetStatus();
        return new TokenCommandResult(status.IsUsable, Describe(status), status);
    }

    /// <summary>One line saying where the token stands and what to do about it.</summary>
    public static string Describe(TokenStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.State switch
        {
            TokenState.Missing => $"No {status.Environment} token. Get one with 'bakong token register' then 'bakong token verify', or paste one with 'bakong token set'.",
            TokenState.Expired => $"The {status.Environment} token expired at {Format(status.ExpiresAt!.Value)}. Renew it with 'bakong token renew'.",
            TokenState.ExpiringSoon => $"The {status.Environment} token expires at {Format(status.ExpiresAt!.Value)} ({DaysLeft(status)}). Renew it with 'bakong token renew'.",
            _ when status.ExpiresAt is null => $"The {status.Environment} token is set; its expiry is unknown (not a JWT).",
            _ => $"The {status.Environment} token is valid until {Format(status.ExpiresAt!.Value)} ({DaysLeft(status)}).",
        };
    }

    private TokenCommandResult Ok(string message) => new(true, message, manager.GetStatus());

    private TokenCommandResult Fail(string message) => new(false, message, manager.GetStatus());

    private string DescribeExpiry(DateTimeOffset? expiresAt) =>
        expiresAt is { } exp ? $"It expires at {Format(exp)} ({DaysLeft(manager.GetStatus())})." : "Its expiry is unknown.";

    private static string DaysLeft(TokenStatus status) => status.DaysLeft switch
    {
        null => "expiry unknown",
        1 => "1 day left",
        var days => string.Create(CultureInfo.InvariantCulture, $"{days} days left"),
    };

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
