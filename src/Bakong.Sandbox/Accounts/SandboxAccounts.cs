
namespace Bakong.Sandbox.Accounts;

/// <summary>
/// The accounts <c>check_bakong_account</c> finds: the configured ones, those added through the control API, and the
/// receivers of every QR and payment the ledger has seen. Never forgotten, not even by a reset.
/// </summary>
/// <remarks>Its lock is a leaf: the ledger adds receivers while holding its own.</remarks>
internal sealed class SandboxAccounts
{
    private const int MaxAccountIdLength = 32;

    private readonly Lock _lock = new();
    private readonly HashSet<string> _accounts = new(StringComparer.Ordinal);

    public SandboxAccounts(IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        foreach (var account in known)
        {
            _accounts.Add(account);
        }
    }

    /// <summary>Adds an account a caller names, so it must look like one.</summary>
    /// <exception cref="ArgumentException">It does not look like <c>name@bank</c> of at most 32 characters.</exception>
    public void Add(string accountId)
    {
        if (!IsValid(accountId))
        {
            throw new ArgumentException("accountId must look like name@bank, at most 32 characters", nameof(accountId));
        }

        Remember(accountId);
    }

    /// <summary>
    /// Adds the receiver of a QR or payment as it stands: <see cref="Check"/> validates what it is asked, so an id
    /// that does not look like an account is never found anyway.
    /// </summary>
    public void Remember(string accountId)
    {
        lock (_lock)
        {
            _accounts.Add(accountId);
        }
    }

    /// <summary><c>check_bakong_account</c>: null when the account exists, else errorCode 12 (invalid) or 11 (not found).</summary>
    public BakongError? Check(string accountId)
    {
        if (!IsValid(accountId))
        {
            return BakongError.AccountInvalid;
        }

        lock (_lock)
        {
            return _accounts.Contains(accountId) ? null : BakongError.AccountNotFound;
        }
    }

    private static bool IsValid(string accountId)
    {
        var at = accountId.IndexOf('@', StringComparison.Ordinal);
        return accountId.Length <= MaxAccountIdLength
            && at > 0
            && at == accountId.LastIndexOf('@')
            && at < accountId.Length - 1
            && !accountId.Any(char.IsWhiteSpace);
    }
}
