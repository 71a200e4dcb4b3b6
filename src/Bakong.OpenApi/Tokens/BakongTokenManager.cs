using System.Diagnostics.Metrics;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Owns the current Bakong token: loads it from the <see cref="TokenStore"/>, hands it to the client, swaps in a new
/// one atomically (set, verified or renewed) and renews it once for all concurrent callers.
/// </summary>
/// <remarks>
/// Hot swap: the current token lives in one immutable snapshot replaced by a single reference write, so a call in
/// flight keeps the token it read and every later call reads the new one — no restart, no lock on the read path.
/// Several gateways on one store (PostgreSQL): a renewal runs while no other gateway renews
/// (<see cref="ITokenStore.RenewAloneAsync"/>) and takes a token another one stored meanwhile instead of renewing
/// again; a token another gateway saved marks the cached snapshot stale (<see cref="ITokenStore.ChangedElsewhere"/>),
/// so the next call reads it (unless this gateway cannot decrypt it: then it keeps the token it has).
/// </remarks>
public sealed class BakongTokenManager : IBakongTokenSource
{
    /// <summary>The meter behind the token and audit metrics.</summary>
    public const string MeterName = "Bakong.OpenApi";

    private static readonly TimeSpan s_warningRepeat = TimeSpan.FromDays(1);

    private readonly ITokenStore _store;
    private readonly IBakongRegistrationApi _registration;
    private readonly BakongTokenOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    private volatile Snapshot? _snapshot;
    private volatile bool _changedElsewhere;
    private Task<RenewalOutcome>? _renewal;
    private TokenState? _lastWarnedState;
    private DateTimeOffset _lastWarnedAt;

    internal BakongTokenManager(
        ITokenStore store,
        IBakongRegistrationApi registration,
        IOptions<BakongTokenOptions> options,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _registration = registration;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _store.ChangedElsewhere += OnChangedElsewhere;

        meterFactory?.Create(MeterName).CreateObservableGauge(
            "bakong.token.days_left",
            ObserveDaysLeft,
            unit: "d",
            description: "Days until the Bakong API token expires (negative once expired); absent when no token or no expiry is known.");
    }

    /// <summary>Which Bakong the managed token is for.</summary>
    public BakongEnvironment Environment => _options.Environment;

    /// <summary>The e-mail renewals use: the configured one, else the one saved at registration.</summary>
    public string? RenewalEmail => string.IsNullOrWhiteSpace(_options.Email) ? Current.Email : _options.Email;

    private Snapshot Current => !_changedElsewhere && _snapshot is { } snapshot ? snapshot : LoadOnce();

    public ValueTask<BakongToken?> GetCurrentAsync(CancellationToken cancellationToken)
    {
        var token = Current.Token;
        CheckExpiry();
        return ValueTask.FromResult(token);
    }

    public async ValueTask<BakongToken?> RenewAsync(BakongToken rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var outcome = await RenewSharedAsync(rejected).WaitAsync(cancellationToken).ConfigureAwait(false);
        return outcome.Token;
    }

    /// <summary>The current state, computed now from the <see cref="TimeProvider"/>.</summary>
    public TokenStatus GetStatus()
    {
        var snapshot = Current;
        var token = snapshot.Token;
        if (token is null)
        {
            return new TokenStatus(TokenState.Missing, _options.Environment, null, null, RenewalEmail, snapshot.SetAt, snapshot.Renewed);
        }

        TimeSpan? left = token.ExpiresAt is { } expiresAt ? expiresAt - _timeProvider.GetUtcNow() : null;
        var state = left switch
        {
            null => TokenState.Healthy,
            { } l when l <= TimeSpan.Zero => TokenState.Expired,
            { } l when l <= _options.WarningWindow => TokenState.ExpiringSoon,
            _ => TokenState.Healthy,
        };
        return new TokenStatus(state, _options.Environment, token.ExpiresAt, left, RenewalEmail, snapshot.SetAt, snapshot.Renewed);
    }

    /// <summary>
    /// The status, logging a warning when the token is missing, expiring soon or expired — once per day per state, not
    /// per call, so a poller calling Bakong every two seconds does not flood the log.
    /// </summary>
    public TokenStatus CheckExpiry()
    {
        var status = GetStatus();
        if (status.State == TokenState.Healthy)
        {
            return status;
        }

        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (_lastWarnedState == status.State && now - _lastWarnedAt < s_warningRepeat)
            {
                return status;
            }

            _lastWarnedState = status.State;
            _lastWarnedAt = now;
        }

        switch (status.State)
        {
            case TokenState.ExpiringSoon:
                TokenLog.TokenExpiringSoon(_logger, status.Environment, status.ExpiresAt!.Value, status.DaysLeft!.Value);
                break;
            case TokenState.Expired:
                TokenLog.TokenExpired(_logger, status.Environment, status.ExpiresAt!.Value);
                break;
            default:
                TokenLog.TokenMissing(_logger, status.Environment);
                break;
        }

        return status;
    }

    /// <summary>
    /// Replaces the token (pasted by the user or received from <c>/v1/verify</c>): persisted first, then swapped in.
    /// The expiry comes from the JWT <c>exp</c> claim; a value that is not a JWT is kept with no known expiry.
    /// </summary>
    public BakongToken Set(string token, string? email = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var trimmed = token.Trim();
        var swapped = Apply(new BakongToken(trimmed, JwtExpiry.Read(trimmed)), email, renewed: false);
        TokenLog.TokenSet(_logger, _options.Environment, swapped.ExpiresAt);
        return swapped;
    }

    /// <summary>Remembers the registered e-mail for renewals.</summary>
    public void SetEmail(string email)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        lock (_gate)
        {
            var current = Current;
            _store.SaveEmail(_options.Environment, email);
            _snapshot = current with { Email = email };
        }
    }

    /// <summary>
    /// Re-encrypts every stored token (all environments) under a new key (<c>bakong token rotate-key</c>, with no
    /// gateway holding the store) and returns where the old key was kept. Throws <see cref="InvalidOperationException"/>,
    /// having changed nothing, when a stored token does not open with the current key.
    /// </summary>
    public string RotateKey()
    {
        lock (_gate)
        {
            var oldKey = _store.RotateKey(_timeProvider.GetUtcNow());
            TokenLog.KeyRotated(_logger, oldKey);
            return oldKey;
        }
    }

    internal bool IsPast(DateTimeOffset time) => time <= _timeProvider.GetUtcNow();

    /// <summary>Renews now (or joins the renewal in flight), whatever the current token's state.</summary>
    internal Task<RenewalOutcome> RenewNowAsync(CancellationToken cancellationToken) =>
        RenewSharedAsync(rejected: null).WaitAsync(cancellationToken);

    private Task<RenewalOutcome> RenewSharedAsync(BakongToken? rejected)
    {
        lock (_gate)
        {
            if (_renewal is { } inFlight)
            {
                return inFlight;
            }

            // Checked under the lock that also guards the swap: a caller that read its token just before a renewal
            // finished sees the new one here instead of starting a second renewal.
            if (rejected is not null && Current.Token is { } current && !string.Equals(current.Value, rejected.Value, StringComparison.Ordinal))
            {
                return Task.FromResult(new RenewalOutcome(current, null));
            }

            var renewal = RenewAndReleaseAsync();

            // A renewal that finished synchronously (no e-mail) released itself already; do not publish it.
            if (!renewal.IsCompleted)
            {
                _renewal = renewal;
            }

            return renewal;
        }
    }

    private async Task<RenewalOutcome> RenewAndReleaseAsync()
    {
        try
        {
            return await RenewCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _renewal = null;
            }
        }
    }

    private async Task<RenewalOutcome> RenewCoreAsync()
    {
        var environment = _options.Environment;
        var email = RenewalEmail;
        if (email is null)
        {
            TokenLog.RenewalImpossibleNoEmail(_logger, environment);
            return new RenewalOutcome(null, "No registered e-mail is configured, so the token cannot be renewed. Run 'bakong token register --email ...' or set Email in the token options.");
        }

        // Single flight across gateways sharing the store: the token this renewal would replace is compared with the
        // one stored once no other gateway renews, and a different one (renewed or set elsewhere meanwhile) is taken.
        var replacing = Current.Token?.Value;
        return await _store.RenewAloneAsync(environment, stored =>
        {
            if (stored?.Token is { } theirs && !string.Equals(theirs.Value, replacing, StringComparison.Ordinal))
            {
                Adopt(stored);
                TokenLog.TokenRenewedElsewhere(_logger, environment, theirs.ExpiresAt);
                return Task.FromResult(new RenewalOutcome(theirs, null));
            }

            return RenewWithBakongAsync(environment, email);
        }).ConfigureAwait(false);
    }

    private async Task<RenewalOutcome> RenewWithBakongAsync(BakongEnvironment environment, string email)
    {

        BakongResult<string> result;
        try
        {
            // Not the caller's token: one caller giving up must not cancel the renewal the others wait for.
            result = await _registration.RenewTokenAsync(email, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any failure of the registration client is a failed renewal for every waiting caller.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            TokenLog.RenewalError(_logger, environment, exception);
            return new RenewalOutcome(null, "Renewal failed unexpectedly; see the log.");
        }

        if (!result.IsSuccess || string.IsNullOrWhiteSpace(result.Value))
        {
            var failure = result.Failure ?? "Bakong returned no token.";
            TokenLog.RenewalFailed(_logger, environment, failure);
            return new RenewalOutcome(null, failure);
        }

        var value = result.Value.Trim();
        var renewed = Apply(new BakongToken(value, JwtExpiry.Read(value)), email: null, renewed: true);
        TokenLog.TokenRenewed(_logger, environment, renewed.ExpiresAt);
        return new RenewalOutcome(renewed, null);
    }

    private BakongToken Apply(BakongToken token, string? email, bool renewed)
    {
        var setAt = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            var current = Current;
            _store.SaveToken(_options.Environment, token, email, setAt, renewed);
            _snapshot = new Snapshot(token, string.IsNullOrWhiteSpace(email) ? current.Email : email, setAt, renewed);
            _lastWarnedState = null;
        }

        return token;
    }

    /// <summary>Takes a token another gateway stored, as if loaded at start.</summary>
    private void Adopt(StoredToken stored)
    {
        lock (_gate)
        {
            _snapshot = new Snapshot(stored.Token, stored.Email ?? _snapshot?.Email, stored.SetAt, stored.Renewed);
            _lastWarnedState = null;
        }
    }

    // Called on the store's notification thread: only marks the cached token stale; the next caller reads it again.
    private void OnChangedElsewhere(BakongEnvironment environment)
    {
        if (environment == _options.Environment)
        {
            _changedElsewhere = true;
            TokenLog.TokenChangedElsewhere(_logger, environment);
        }
    }

    private Snapshot LoadOnce()
    {
        lock (_gate)
        {
            if (_snapshot is { } loaded && !_changedElsewhere)
            {
                return loaded;
            }

            // Cleared before the read: a change told while it runs marks it stale again.
            _changedElsewhere = false;
            var stored = _store.Load(_options.Environment, out var unreadable);
            if (unreadable)
            {
                TokenLog.StoredTokenUnreadable(_logger, _options.Environment);

                // Another gateway stored a token this one cannot open (another key file): a working token is kept.
                if (_snapshot is { Token: not null } kept)
                {
                    return kept;
                }
            }

            var snapshot = new Snapshot(stored?.Token, stored?.Email, stored?.SetAt, stored?.Renewed ?? false);
            _snapshot = snapshot;
            return snapshot;
        }
    }

    private IEnumerable<Measurement<double>> ObserveDaysLeft()
    {
        var status = GetStatus();
        if (status.TimeLeft is { } left)
        {
            yield return new Measurement<double>(left.TotalDays, new KeyValuePair<string, object?>("bakong.environment", status.Environment.ToString()));
        }
    }

    private sealed record Snapshot(BakongToken? Token, string? Email, DateTimeOffset? SetAt, bool Renewed);
}

/// <summary>What a renewal produced: the new token, or why there is none (fit for a CLI user; never the token).</summary>
internal sealed record RenewalOutcome(BakongToken? Token, string? Failure);
