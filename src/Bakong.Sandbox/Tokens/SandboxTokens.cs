using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Tokens;

/// <summary>
/// Registrations, verification codes and the tokens issued for them, "expire all tokens now", and the mailbox the
/// codes and tokens are "e-mailed" to. One lock guards them all: a code is spent, its registration verified and its
/// token issued and mailed in one step.
/// </summary>
internal sealed class SandboxTokens
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int CodeLength = 20;
    private const int MaxEmailLength = 30;
    private const int MaxOrganizationLength = 100;

    private readonly Lock _lock = new();
    private readonly TimeSpan _lifetime;
    private readonly SandboxRandom _random;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SandboxJwt _jwt;
    private readonly Dictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Registration> _registrations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _codes = new(StringComparer.Ordinal);
    private readonly List<SandboxMail> _mailbox = [];
    private long _sequence;
    private long _expiredThrough;
    private long? _expiredAtMs;

    public SandboxTokens(SandboxOptions options, SandboxRandom random, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _lifetime = options.TokenLifetime;
        _random = random;
        _timeProvider = timeProvider;
        _logger = logger;
        _jwt = new SandboxJwt(string.IsNullOrEmpty(options.JwtSecret)
            ? RandomNumberGenerator.GetBytes(32)
            : Convert.FromBase64String(options.JwtSecret));
    }

    /// <summary>When <see cref="ExpireAll"/> last ran (Unix ms), if ever.</summary>
    public long? ExpiredAtMs
    {
        get
        {
            lock (_lock)
            {
                return _expiredAtMs;
            }
        }
    }

    /// <summary>Every token issued so far stops working now (HTTP 401 errorCode 6); later ones work.</summary>
    public void ExpireAll()
    {
        int count;
        lock (_lock)
        {
            _expiredThrough = _sequence;
            _expiredAtMs = NowMs();
            count = _tokens.Count;
        }

        SandboxLog.TokensExpired(_logger, count);
    }

    /// <summary>Issues a token; with an e-mail, registers it as verified so <c>renew_token</c> works for it.</summary>
    public SandboxIssuedToken Issue(string? email, TimeSpan? lifetime)
    {
        if (lifetime is { } span && span <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "the lifetime must be positive");
        }

        if (email is { Length: > MaxEmailLength })
        {
            throw new ArgumentException("email must be at most 30 characters", nameof(email));
        }

        lock (_lock)
        {
            if (!string.IsNullOrEmpty(email))
            {
                var registration = GetOrAddRegistration(email, "sandbox", "sandbox");
                registration.Verified = true;
            }

            return IssueLocked(string.IsNullOrEmpty(email) ? null : email, lifetime ?? _lifetime);
        }
    }

    /// <summary>Codes and tokens "e-mailed", oldest first; all of them, or one address's.</summary>
    public IReadOnlyList<SandboxMail> Mailbox(string? email)
    {
        lock (_lock)
        {
            return string.IsNullOrEmpty(email)
                ? [.. _mailbox]
                : _mailbox.FindAll(mail => string.Equals(mail.Email, email, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Signed by this sandbox, issued by it, not expired by the clock nor by <see cref="ExpireAll"/>.</summary>
    public bool IsValid(string? token)
    {
        if (!_jwt.TryRead(token, out var id, out var expiresAtSeconds))
        {
            return false;
        }

        lock (_lock)
        {
            return _tokens.TryGetValue(id, out var issued)
                && issued.Sequence > _expiredThrough
                && NowMs() < expiresAtSeconds * 1000;
        }
    }

    /// <summary><c>request_token</c>: mails a verification code unless the e-mail is verified already.</summary>
    public BakongError? Request(string? email, string? organization, string? project)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(organization) || string.IsNullOrWhiteSpace(project)
            || email.Length > MaxEmailLength || organization.Length > MaxOrganizationLength || project.Length > MaxOrganizationLength)
        {
            return BakongError.MissingFields;
        }

        string code;
        lock (_lock)
        {
            if (_registrations.TryGetValue(email, out var existing) && existing.Verified)
            {
                return BakongError.EmailRegistered;
            }

            GetOrAddRegistration(email, organization, project);
            code = _random.Draw(static random => string.Create(CodeLength, random, static (span, random) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = Alphanumerics[random.Next(Alphanumerics.Length)];
                }
            }));
            _codes[code] = email;
            _mailbox.Add(new SandboxMail(email, "verification-code", code, null, NowMs()));
        }

        SandboxLog.CodeSent(_logger, email, code);
        return null;
    }

    /// <summary><c>verify</c>: spends the code for a token.</summary>
    public (SandboxIssuedToken? Token, BakongError? Error) Verify(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return (null, BakongError.MissingFields);
        }

        lock (_lock)
        {
            if (!_codes.Remove(code, out var email))
            {
                return (null, BakongError.Unauthorized);
            }

            _registrations[email].Verified = true;
            return (IssueLocked(email, _lifetime), null);
        }
    }

    /// <summary><c>renew_token</c>: a new token for a verified e-mail; earlier ones keep working.</summary>
    public (SandboxIssuedToken? Token, BakongError? Error) Renew(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return (null, BakongError.MissingFields);
        }

        lock (_lock)
        {
            if (!_registrations.TryGetValue(email, out var registration) || !registration.Verified)
            {
                return (null, BakongError.NotRegistered);
            }

            return (IssueLocked(registration.Email, _lifetime), null);
        }
    }

    private SandboxIssuedToken IssueLocked(string? email, TimeSpan lifetime)
    {
        var now = _timeProvider.GetUtcNow();
        var issuedAt = now.ToUnixTimeSeconds();
        var expiresAt = issuedAt + (long)lifetime.TotalSeconds;
        var id = _random.Draw(static random => random.NextInt64()).ToString("x16", CultureInfo.InvariantCulture);
        _tokens[id] = new IssuedToken(++_sequence, email);
        var token = _jwt.Create(id, issuedAt, expiresAt);
        var issued = new SandboxIssuedToken(token, id, email, issuedAt * 1000, expiresAt * 1000);
        if (email is not null)
        {
            _mailbox.Add(new SandboxMail(email, "token", null, token, now.ToUnixTimeMilliseconds()));
        }

        var expiry = DateTimeOffset.FromUnixTimeSeconds(expiresAt);
        SandboxLog.TokenIssued(_logger, id, email, expiry);
        return issued;
    }

    private Registration GetOrAddRegistration(string email, string organization, string project)
    {
        if (!_registrations.TryGetValue(email, out var registration))
        {
            registration = new Registration(email, organization, project);
            _registrations[email] = registration;
        }

        return registration;
    }

    private long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed record IssuedToken(long Sequence, string? Email);

    private sealed class Registration(string email, string organization, string project)
    {
        public string Email { get; } = email;

        public string Organization { get; } = organization;

        public string Project { get; } = project;

        public bool Verified { get; set; }
    }
}
