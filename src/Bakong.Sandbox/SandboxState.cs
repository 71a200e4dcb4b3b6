using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Khqr;
using Bakong.Sandbox.Api;
using Bakong.Sandbox.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Sandbox;

/// <summary>
/// Everything the simulated Bakong knows: registrations, tokens, QRs, payments and the faults in force. One lock
/// guards it all; calls are short and never wait while holding it.
/// </summary>
public sealed class SandboxState
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int MaxEmailLength = 30;
    private const int MaxOrganizationLength = 100;
    private const int MaxAccountIdLength = 32;

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly SandboxOptions _options;
    private readonly ILogger<SandboxState> _logger;
    private readonly SandboxJwt _jwt;
    private readonly Dictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Registration> _registrations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _codes = new(StringComparer.Ordinal);
    private readonly List<SandboxMail> _mailbox = [];
    private readonly Dictionary<string, SandboxQr> _qrs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SandboxPayment> _payments = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SandboxPayment> _paymentsByHash = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<SandboxPayment> _paymentOrder = [];
    private readonly HashSet<string> _accounts = new(StringComparer.Ordinal);
    private readonly List<(int Count, TaskCompletionSource Signal)> _holdWaiters = [];
    private Random _random;
    private SandboxFaults _faults = SandboxFaults.None;
    private long _tokenSequence;
    private long _tokensExpiredThrough;
    private long? _tokensExpiredAtMs;
    private int _heldRequests;

    public SandboxState(IOptions<SandboxOptions> options, TimeProvider timeProvider, ILogger<SandboxState> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _random = new Random(_options.Seed);
        _jwt = new SandboxJwt(string.IsNullOrEmpty(_options.JwtSecret)
            ? RandomNumberGenerator.GetBytes(32)
            : Convert.FromBase64String(_options.JwtSecret));
        foreach (var account in _options.KnownAccounts)
        {
            _accounts.Add(account);
        }
    }

    public TimeProvider TimeProvider => _timeProvider;

    internal SandboxOptions Options => _options;

    /// <summary>The faults in force; setting replaces them all.</summary>
    public SandboxFaults Faults
    {
        get
        {
            lock (_lock)
            {
                return _faults;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Validate() is { } problem)
            {
                throw new ArgumentException(problem, nameof(value));
            }

            lock (_lock)
            {
                _faults = value;
            }

            SandboxLog.FaultsChanged(_logger, value);
        }
    }

    /// <summary>When "expire all tokens now" last ran (Unix ms), if ever.</summary>
    public long? TokensExpiredAtMs
    {
        get
        {
            lock (_lock)
            {
                return _tokensExpiredAtMs;
            }
        }
    }

    /// <summary>Requests being held right now by injected latency or the timeout fault.</summary>
    public int HeldRequests
    {
        get
        {
            lock (_lock)
            {
                return _heldRequests;
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> requests are held by latency or timeout faults.</summary>
    public Task WaitForHeldRequestsAsync(int count, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_heldRequests >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _holdWaiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Restarts the fault randomness from <paramref name="seed"/>.</summary>
    public void Reseed(int seed)
    {
        lock (_lock)
        {
            _random = new Random(seed);
        }
    }

    /// <summary>Every token issued so far stops working now (HTTP 401 errorCode 6); later ones work.</summary>
    public void ExpireAllTokens()
    {
        int count;
        lock (_lock)
        {
            _tokensExpiredThrough = _tokenSequence;
            _tokensExpiredAtMs = NowMs();
            count = _tokens.Count;
        }

        SandboxLog.TokensExpired(_logger, count);
    }

    /// <summary>Issues a token; with an e-mail, registers it as verified so <c>renew_token</c> works for it.</summary>
    public SandboxIssuedToken IssueToken(string? email = null, TimeSpan? lifetime = null)
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

            return IssueTokenLocked(string.IsNullOrEmpty(email) ? null : email, lifetime ?? _options.TokenLifetime);
        }
    }

    /// <summary>Codes and tokens "e-mailed", oldest first; all of them, or one address's.</summary>
    public IReadOnlyList<SandboxMail> Mailbox(string? email = null)
    {
        lock (_lock)
        {
            return string.IsNullOrEmpty(email)
                ? [.. _mailbox]
                : _mailbox.FindAll(mail => string.Equals(mail.Email, email, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Decodes a KHQR and remembers it by md5.</summary>
    /// <exception cref="ArgumentException">The payload is not a KHQR with a receiving account.</exception>
    public SandboxQr RegisterQr(string qr)
    {
        var known = Decode(qr);
        lock (_lock)
        {
            _qrs[known.Md5] = known;
            if (known.ToAccountId is { } account)
            {
                _accounts.Add(account);
            }
        }

        SandboxLog.QrRegistered(_logger, known.Md5, known.IsStatic);
        return known;
    }

    /// <summary>The customer pays; see <see cref="SandboxPayRequest"/>.</summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    /// <exception cref="InvalidOperationException">The md5 is paid or failed already, or the QR has expired.</exception>
    public SandboxPayment Pay(SandboxPayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decoded = request.Qr is null ? null : Decode(request.Qr);
        var payment = Record(request.Md5, decoded, request.DelayMs, request.Force, SandboxPaymentStatus.Paid, (known, md5) =>
        {
            var amount = request.Amount ?? known?.Amount
                ?? throw new ArgumentException("amount is required: the QR has none (static) or the md5 is not registered");
            if (amount <= 0)
            {
                throw new ArgumentException("amount must be positive");
            }

            var currency = NormalizeCurrency(request.Currency) ?? known?.Currency ?? "KHR";
            var toAccount = request.ToAccountId ?? known?.ToAccountId
                ?? throw new ArgumentException("toAccountId is required when the md5 is not registered");
            return (amount, currency, toAccount);
        }, request);

        SandboxLog.Paid(_logger, payment.Md5, payment.Transaction.Amount, payment.Transaction.Currency, payment.Transaction.ToAccountId, payment.VisibleAtMs);
        return payment;
    }

    /// <summary>The customer's payment fails: md5 checks answer errorCode 3 from then on.</summary>
    public SandboxPayment Fail(SandboxFailRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decoded = request.Qr is null ? null : Decode(request.Qr);
        var payment = Record(request.Md5, decoded, request.DelayMs, force: true, SandboxPaymentStatus.Failed, (known, md5) =>
            (known?.Amount ?? 0m, known?.Currency ?? "KHR", known?.ToAccountId ?? string.Empty), details: null);
        SandboxLog.Failed(_logger, payment.Md5);
        return payment;
    }

    /// <summary>Payments and failures, oldest first.</summary>
    public IReadOnlyList<SandboxPayment> Payments
    {
        get
        {
            lock (_lock)
            {
                return [.. _paymentOrder];
            }
        }
    }

    /// <summary>Makes <c>check_bakong_account</c> find <paramref name="accountId"/>.</summary>
    public void AddAccount(string accountId)
    {
        if (!IsValidAccountId(accountId))
        {
            throw new ArgumentException("accountId must look like name@bank, at most 32 characters", nameof(accountId));
        }

        lock (_lock)
        {
            _accounts.Add(accountId);
        }
    }

    /// <summary>Forgets QRs and payments and clears the faults; registrations and tokens stay.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _qrs.Clear();
            _payments.Clear();
            _paymentsByHash.Clear();
            _paymentOrder.Clear();
            _faults = SandboxFaults.None;
            _random = new Random(_options.Seed);
        }
    }

    internal FaultDecision DrawFaults(BakongEndpoint endpoint)
    {
        lock (_lock)
        {
            var faults = _faults;
            var forbidden = faults.GeoBlocked || (faults.Md5ListForbidden && endpoint.Kind == BakongEndpointKind.Md5List);
            return new FaultDecision(
                forbidden,
                TimeSpan.FromMilliseconds(faults.LatencyMs),
                Draw(faults.TimeoutRate),
                Draw(faults.TooManyRequestsRate),
                Draw(faults.ServerErrorRate) ? faults.ServerErrorStatus : 0,
                Draw(faults.MalformedJsonRate));
        }
    }

    internal IDisposable Hold()
    {
        lock (_lock)
        {
            _heldRequests++;
            for (var i = _holdWaiters.Count - 1; i >= 0; i--)
            {
                if (_holdWaiters[i].Count <= _heldRequests)
                {
                    _holdWaiters[i].Signal.TrySetResult();
                    _holdWaiters.RemoveAt(i);
                }
            }
        }

        return new HeldRequest(this);
    }

    internal bool IsTokenValid(string? token)
    {
        if (!_jwt.TryRead(token, out var id, out var expiresAtSeconds))
        {
            return false;
        }

        lock (_lock)
        {
            return _tokens.TryGetValue(id, out var issued)
                && issued.Sequence > _tokensExpiredThrough
                && NowMs() < expiresAtSeconds * 1000;
        }
    }

    internal BakongError? RequestToken(string? email, string? organization, string? project)
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
            code = RandomText(20);
            _codes[code] = email;
            _mailbox.Add(new SandboxMail(email, "verification-code", code, null, NowMs()));
        }

        SandboxLog.CodeSent(_logger, email, code);
        return null;
    }

    internal (SandboxIssuedToken? Token, BakongError? Error) Verify(string? code)
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
            return (IssueTokenLocked(email, _options.TokenLifetime), null);
        }
    }

    internal (SandboxIssuedToken? Token, BakongError? Error) Renew(string? email)
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

            return (IssueTokenLocked(registration.Email, _options.TokenLifetime), null);
        }
    }

    internal BakongError? CheckAccount(string accountId)
    {
        if (!IsValidAccountId(accountId))
        {
            return BakongError.AccountInvalid;
        }

        lock (_lock)
        {
            return _accounts.Contains(accountId) ? null : BakongError.AccountNotFound;
        }
    }

    internal string Deeplink(string qr)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(qr), digest);
        Span<char> link = stackalloc char[17];
        for (var i = 0; i < link.Length; i++)
        {
            link[i] = Alphanumerics[digest[i] % Alphanumerics.Length];
        }

        return _options.DeeplinkBaseUrl + new string(link);
    }

    internal (LookupStatus Status, SandboxTransaction? Transaction) FindByMd5(string md5)
    {
        lock (_lock)
        {
            if (_payments.TryGetValue(md5, out var payment) && payment.VisibleAtMs <= NowMs())
            {
                return payment.Status == SandboxPaymentStatus.Failed ? (LookupStatus.Failed, null)
                    : payment.IsStaticQr ? (LookupStatus.StaticQr, null)
                    : (LookupStatus.Success, payment.Transaction);
            }

            return _qrs.TryGetValue(md5, out var known) && known.IsStatic ? (LookupStatus.StaticQr, null) : (LookupStatus.NotFound, null);
        }
    }

    internal (LookupStatus Status, SandboxTransaction? Transaction) FindByHash(string hash)
    {
        lock (_lock)
        {
            return _paymentsByHash.TryGetValue(hash, out var payment) ? Visible(payment) : (LookupStatus.NotFound, null);
        }
    }

    internal (LookupStatus Status, SandboxTransaction? Transaction) Find(Func<SandboxTransaction, bool> match)
    {
        lock (_lock)
        {
            var payment = _paymentOrder.FindLast(p => match(p.Transaction));
            return payment is null ? (LookupStatus.NotFound, null) : Visible(payment);
        }
    }

    internal static string ComputeMd5(string qr)
    {
#pragma warning disable CA5351 // MD5 is how KHQR names a payload, not a security measure.
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(qr)));
#pragma warning restore CA5351
    }

    private (LookupStatus, SandboxTransaction?) Visible(SandboxPayment payment) =>
        payment.VisibleAtMs > NowMs() ? (LookupStatus.NotFound, null)
        : payment.Status == SandboxPaymentStatus.Failed ? (LookupStatus.Failed, null)
        : (LookupStatus.Success, payment.Transaction);

    private SandboxPayment Record(
        string? md5,
        SandboxQr? decoded,
        long? delayMs,
        bool force,
        SandboxPaymentStatus status,
        Func<SandboxQr?, string, (decimal Amount, string Currency, string ToAccount)> terms,
        SandboxPayRequest? details)
    {
        if (decoded is null && string.IsNullOrWhiteSpace(md5))
        {
            throw new ArgumentException("md5 or qr is required");
        }

        if (decoded is not null && md5 is not null && !string.Equals(md5, decoded.Md5, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("md5 does not match the md5 of qr");
        }

        if (delayMs is < 0)
        {
            throw new ArgumentException("delayMs must not be negative");
        }

        if (details?.Currency is { } currency && NormalizeCurrency(currency) is null)
        {
            throw new ArgumentException("currency must be USD or KHR");
        }

        lock (_lock)
        {
            var key = decoded?.Md5 ?? md5!;
            if (decoded is not null)
            {
                _qrs[key] = decoded;
                if (decoded.ToAccountId is { } account)
                {
                    _accounts.Add(account);
                }
            }

            var known = decoded ?? _qrs.GetValueOrDefault(key);
            if (_payments.TryGetValue(key, out var existing))
            {
                throw new InvalidOperationException($"md5 {key} is {existing.Status.ToString().ToUpperInvariant()} already");
            }

            var now = NowMs();
            if (!force && known?.ExpiresAtMs is { } expires && expires < now)
            {
                throw new InvalidOperationException("the QR expired; a bank app would refuse it (force: true pays anyway)");
            }

            var (amount, txCurrency, toAccount) = terms(known, key);
            var acknowledged = now + (delayMs ?? 0);
            var transaction = new SandboxTransaction(
                Hash: NewHash(key),
                FromAccountId: details?.FromAccountId ?? _options.DefaultFromAccountId,
                ToAccountId: toAccount,
                Currency: txCurrency,
                Amount: amount,
                Description: details?.Description,
                CreatedDateMs: now,
                AcknowledgedDateMs: acknowledged,
                TrackingStatus: details?.TrackingStatus,
                ReceiverBank: details?.ReceiverBank,
                ReceiverBankAccount: details?.ReceiverBankAccount,
                InstructionRef: details?.InstructionRef,
                ExternalRef: details?.ExternalRef ?? "100FT" + _random.NextInt64(10_000_000_000, 100_000_000_000).ToString(CultureInfo.InvariantCulture));
            var payment = new SandboxPayment(key, status, known?.IsStatic ?? false, acknowledged, transaction, known?.Qr);
            _payments[key] = payment;
            _paymentsByHash[transaction.Hash] = payment;
            _paymentOrder.Add(payment);
            _accounts.Add(toAccount);
            return payment;
        }
    }

    private static SandboxQr Decode(string qr)
    {
        if (string.IsNullOrWhiteSpace(qr))
        {
            throw new ArgumentException("qr is empty");
        }

        var decoded = KhqrDecoder.Decode(qr);
        if (decoded.IsMalformed || decoded.BakongAccountID is null || decoded.PointOfInitiationMethod is null)
        {
            throw new ArgumentException("qr is not a KHQR with a Bakong account");
        }

        decimal? amount = decimal.TryParse(decoded.TransactionAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : null;
        long? expires = long.TryParse(decoded.ExpirationTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : null;
        var currency = decoded.TransactionCurrency switch
        {
            "840" => "USD",
            "116" => "KHR",
            _ => null,
        };
        return new SandboxQr(ComputeMd5(qr), qr, decoded.PointOfInitiationMethod == "11", amount, currency, decoded.BakongAccountID, expires);
    }

    private static string? NormalizeCurrency(string? currency) =>
        string.Equals(currency, "USD", StringComparison.OrdinalIgnoreCase) ? "USD"
        : string.Equals(currency, "KHR", StringComparison.OrdinalIgnoreCase) ? "KHR"
        : null;

    private static bool IsValidAccountId(string accountId)
    {
        var at = accountId.IndexOf('@', StringComparison.Ordinal);
        return accountId.Length <= MaxAccountIdLength
            && at > 0
            && at == accountId.LastIndexOf('@')
            && at < accountId.Length - 1
            && !accountId.Any(char.IsWhiteSpace);
    }

    private SandboxIssuedToken IssueTokenLocked(string? email, TimeSpan lifetime)
    {
        var now = _timeProvider.GetUtcNow();
        var issuedAt = now.ToUnixTimeSeconds();
        var expiresAt = issuedAt + (long)lifetime.TotalSeconds;
        var id = _random.NextInt64().ToString("x16", CultureInfo.InvariantCulture);
        _tokens[id] = new IssuedToken(++_tokenSequence, email);
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

    private string NewHash(string md5)
    {
        var seed = md5 + ":" + _random.NextInt64().ToString(CultureInfo.InvariantCulture);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
    }

    private string RandomText(int length)
    {
        return string.Create(length, _random, static (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphanumerics[random.Next(Alphanumerics.Length)];
            }
        });
    }

    // Called under the lock. A rate of 0 or 1 draws nothing, so turning one fault fully on or off does not shift
    // the sequence the others see.
    private bool Draw(double rate) => rate >= 1 || (rate > 0 && _random.NextDouble() < rate);

    private long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private void Release()
    {
        lock (_lock)
        {
            _heldRequests--;
        }
    }

    private sealed record IssuedToken(long Sequence, string? Email);

    private sealed class Registration(string email, string organization, string project)
    {
        public string Email { get; } = email;

        public string Organization { get; } = organization;

        public string Project { get; } = project;

        public bool Verified { get; set; }
    }

    private sealed class HeldRequest(SandboxState state) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                state.Release();
            }
        }
    }
}

internal enum LookupStatus
{
    Success,
    NotFound,
    StaticQr,
    Failed,
}
