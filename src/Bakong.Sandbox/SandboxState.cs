using Bakong.Sandbox.Accounts;
using Bakong.Sandbox.Calls;
using Bakong.Sandbox.Faults;
using Bakong.Sandbox.Holds;
using Bakong.Sandbox.Tokens;
using Bakong.Sandbox.Transactions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Sandbox;

/// <summary>
/// Everything the simulated Bakong knows, as one entry point for the control API and in-process callers: the
/// <see cref="Tokens"/>, the <see cref="Ledger"/> of QRs and payments, the known <see cref="Accounts"/>, the requests
/// <see cref="Holds"/> is holding and the faults in force (<see cref="FaultInjector"/>), all drawing on one seeded
/// <see cref="SandboxRandom"/>. Each part guards its own state with its own lock; the accounts' and the random's are
/// leaves, taken inside the others' and never around one. Calls are short and never wait on anything else while holding
/// a lock.
/// </summary>
public sealed class SandboxState
{
    private readonly SandboxOptions _options;
    private readonly SandboxRandom _random;

    public SandboxState(IOptions<SandboxOptions> options, TimeProvider timeProvider, ILogger<SandboxState> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        TimeProvider = timeProvider;
        _random = new SandboxRandom(_options.Seed);
        Tokens = new SandboxTokens(_options, _random, timeProvider, logger);
        Accounts = new SandboxAccounts(_options.KnownAccounts);
        Ledger = new SandboxLedger(_options, Accounts, _random, timeProvider, logger);
        Holds = new SandboxHolds(timeProvider);
        FaultInjector = new SandboxFaultInjector(_random, logger);
        CallLog = new SandboxCallLog(timeProvider);
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>The faults in force; setting replaces them all.</summary>
    /// <exception cref="ArgumentException">A rate or status is out of range.</exception>
    public SandboxFaults Faults
    {
        get => FaultInjector.Current;
        set => FaultInjector.Current = value;
    }

    /// <summary>When "expire all tokens now" last ran (Unix ms), if ever.</summary>
    public long? TokensExpiredAtMs => Tokens.ExpiredAtMs;

    /// <summary>Requests being held right now by injected latency or the timeout fault.</summary>
    public int HeldRequests => Holds.Count;

    /// <summary>Payments and failures, oldest first.</summary>
    public IReadOnlyList<SandboxPayment> Payments => Ledger.Payments;

    internal SandboxOptions Options => _options;

    internal SandboxTokens Tokens { get; }

    internal SandboxLedger Ledger { get; }

    internal SandboxAccounts Accounts { get; }

    internal SandboxHolds Holds { get; }

    internal SandboxFaultInjector FaultInjector { get; }

    internal SandboxCallLog CallLog { get; }

    /// <summary>
    /// The Bakong API calls answered (past the injected faults and the token check), oldest first, the newest
    /// <see cref="SandboxCallLog.Capacity"/>; one endpoint's (e.g. <c>check_transaction_by_md5_list</c>) when named.
    /// </summary>
    public IReadOnlyList<SandboxCall> Calls(string? endpoint = null) => CallLog.Calls(endpoint);

    /// <summary>Calls answered per endpoint name since the start or the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, long> CallTotals => CallLog.Totals();

    /// <summary>Completes once at least <paramref name="count"/> requests are held by latency or timeout faults.</summary>
    public Task WaitForHeldRequestsAsync(int count, CancellationToken cancellationToken = default) =>
        Holds.WaitForAsync(count, cancellationToken);

    /// <summary>Restarts the randomness behind faults, codes and ids from <paramref name="seed"/>.</summary>
    public void Reseed(int seed) => _random.Reseed(seed);

    /// <summary>Every token issued so far stops working now (HTTP 401 errorCode 6); later ones work.</summary>
    public void ExpireAllTokens() => Tokens.ExpireAll();

    /// <summary>Issues a token; with an e-mail, registers it as verified so <c>renew_token</c> works for it.</summary>
    public SandboxIssuedToken IssueToken(string? email = null, TimeSpan? lifetime = null) => Tokens.Issue(email, lifetime);

    /// <summary>Codes and tokens "e-mailed", oldest first; all of them, or one address's.</summary>
    public IReadOnlyList<SandboxMail> Mailbox(string? email = null) => Tokens.Mailbox(email);

    /// <summary>Decodes a KHQR and remembers it by md5.</summary>
    /// <exception cref="ArgumentException">The payload is not a KHQR with a receiving account.</exception>
    public SandboxQr RegisterQr(string qr) => Ledger.RegisterQr(qr);

    /// <summary>The customer pays; see <see cref="SandboxPayRequest"/>.</summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    /// <exception cref="InvalidOperationException">The md5 is paid or failed already, or the QR has expired.</exception>
    public SandboxPayment Pay(SandboxPayRequest request) => Ledger.Pay(request);

    /// <summary>The customer's payment fails: md5 checks answer errorCode 3 from then on.</summary>
    public SandboxPayment Fail(SandboxFailRequest request) => Ledger.Fail(request);

    /// <summary>A transfer between two accounts without a QR (a refund from the merchant to a payer); see <see cref="SandboxTransferRequest"/>.</summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    public SandboxPayment Transfer(SandboxTransferRequest request) => Ledger.Transfer(request);

    /// <summary>Makes <c>check_bakong_account</c> find <paramref name="accountId"/>.</summary>
    public void AddAccount(string accountId) => Accounts.Add(accountId);

    /// <summary>
    /// Forgets QRs, payments and the call log, clears the faults and restarts the randomness from the configured seed;
    /// registrations, tokens, the mailbox and known accounts stay.
    /// </summary>
    public void Reset()
    {
        // Each part resets under its own lock, so a Bakong call racing the reset can see some parts reset and others
        // not yet; the order keeps what it can see to what one lock allowed. A call draws its faults when it arrives
        // and reads the ledger after: clearing the ledger first, it never finds old payments after drawing no faults.
        // The faults draw under their lock and the reseed comes last, so no call draws the new sequence with the old
        // faults. A payment racing the reset may take its hash and ref from the old sequence. Every call that starts
        // after Reset returns sees all of it reset.
        Ledger.Clear();
        FaultInjector.Clear();
        CallLog.Clear();
        _random.Reseed(_options.Seed);
    }
}
