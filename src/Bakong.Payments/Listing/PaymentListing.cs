using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Listing;

/// <summary>
/// The <c>ListPayments</c> use case over <see cref="IPaymentStore.ListAsync"/>. The page token wraps the store's with a
/// fingerprint of the filters, so a token used with other filters is refused. Several states are filtered here (the
/// store filters one), which the contract allows: a page may hold fewer payments even when more follow.
/// </summary>
public sealed class PaymentListing
{
    private const string TokenVersion = "p1";

    private readonly IPaymentStore _store;

    public PaymentListing(IPaymentStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>One page, or the request's violations (named as the request's fields: <c>page_token</c>).</summary>
    public async Task<ListPaymentsResult> ListAsync(ListPaymentsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var violations = new List<FieldViolation>();
        var query = Parse(request, violations);
        if (query is null)
        {
            return new ListPaymentsResult.Invalid(violations);
        }

        PaymentPage page;
        try
        {
            page = await _store.ListAsync(query.Query, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException) when (query.Query.PageToken is not null)
        {
            // The store refuses the wrapped token: a forged one that carried the right fingerprint.
            return new ListPaymentsResult.Invalid([NotOurToken()]);
        }

        var payments = new List<Payment>(page.Payments.Count);
        foreach (var payment in page.Payments)
        {
            if ((query.States.Count <= 1 || query.States.Contains(payment.State))
                && (query.Terminals is null || query.Terminals.Contains(payment.TerminalId)))
            {
                payments.Add(payment);
            }
        }

        return new ListPaymentsResult.Listed(payments, page.NextPageToken is { } next ? Encode(query.Fingerprint, next) : null);
    }

    private static ListQuery? Parse(ListPaymentsRequest request, List<FieldViolation> violations)
    {
        if (request.PageSize < 0)
        {
            violations.Add(new FieldViolation("page_size", "must not be negative"));
        }

        var states = new SortedSet<PaymentState>(request.States);
        if (request.CreatedFrom is { } from && request.CreatedTo is { } to && to < from)
        {
            violations.Add(new FieldViolation("end_create_time", "must not be earlier than start_create_time"));
        }

        var terminal = string.IsNullOrEmpty(request.TerminalId) ? null : request.TerminalId;

        // A caller of one terminal is that terminal's filter, which the store applies; a wider scope is filtered here.
        if (terminal is null && request.TerminalIds is { Count: 1 } only)
        {
            terminal = only.First();
        }

        if (terminal is not null && Identifier.Check(terminal, "terminal_id", PaymentLimits.TerminalId) is { } badTerminal)
        {
            violations.Add(badTerminal); // a terminal id as CreatePayment takes it, or none for any terminal
        }

        var fingerprint = Fingerprint(states, terminal, request.CreatedFrom, request.CreatedTo);
        string? storeToken = null;
        var pageToken = request.PageToken ?? "";
        if (pageToken.Length > PaymentLimits.PageToken)
        {
            violations.Add(new FieldViolation("page_token", pageToken.Length + " characters, at most " + PaymentLimits.PageToken));
        }
        else if (pageToken.Length > 0 && !TryDecode(pageToken, fingerprint, out storeToken))
        {
            violations.Add(NotOurToken());
        }

        if (violations.Count > 0)
        {
            return null;
        }

        var query = new PaymentQuery
        {
            State = states.Count == 1 ? states.Min : null,
            TerminalId = terminal,
            CreatedFrom = request.CreatedFrom,
            CreatedTo = request.CreatedTo,
            PageSize = request.PageSize == 0 ? PaymentLimits.DefaultPageSize : Math.Min(request.PageSize, PaymentLimits.MaxPageSize),
            PageToken = storeToken,
        };
        return new ListQuery(query, states, terminal is null ? request.TerminalIds : null, fingerprint);
    }

    private static FieldViolation NotOurToken() => new("page_token", "not a token from a ListPayments call with these filters");

    private static string Fingerprint(SortedSet<PaymentState> states, string? terminal, DateTimeOffset? from, DateTimeOffset? to)
    {
        var text = new StringBuilder();
        foreach (var state in states)
        {
            text.Append((int)state).Append(',');
        }

        text.Append('|').Append(terminal?.Length ?? -1).Append(':').Append(terminal)
            .Append('|').Append(from?.UtcTicks.ToString(CultureInfo.InvariantCulture))
            .Append('|').Append(to?.UtcTicks.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static string Encode(string fingerprint, string storeToken) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(TokenVersion + "." + fingerprint + "." + storeToken));

    private static bool TryDecode(string token, string fingerprint, out string? storeToken)
    {
        storeToken = null;
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = text.Split('.', 3);
        if (parts.Length != 3 || parts[0] != TokenVersion || parts[1] != fingerprint || parts[2].Length == 0)
        {
            return false;
        }

        storeToken = parts[2];
        return true;
    }

    /// <summary>A checked request.</summary>
    /// <param name="Query">What the store is asked.</param>
    /// <param name="States">The states asked for; empty for any.</param>
    /// <param name="Terminals">The terminals to keep when the store was not asked for one; null for all.</param>
    /// <param name="Fingerprint">The filters' fingerprint, carried in the page token.</param>
    private sealed record ListQuery(PaymentQuery Query, IReadOnlySet<PaymentState> States, IReadOnlySet<string>? Terminals, string Fingerprint);
}

/// <summary>
/// What <c>ListPayments</c> asks for, already in domain terms (states, times); <see cref="PaymentListing"/> checks the
/// rest. Every filter is optional.
/// </summary>
public sealed record ListPaymentsRequest
{
    /// <summary>Only payments in one of these states; empty for any state.</summary>
    public IReadOnlyCollection<PaymentState> States { get; init; } = [];

    /// <summary>Only this terminal's payments; null or empty for any terminal.</summary>
    public string? TerminalId { get; init; }

    /// <summary>
    /// Only payments of these terminals, the caller's scope; null for any. <see cref="TerminalId"/> narrows it (the
    /// caller checks that it is in the scope). With more than one, a page may hold fewer payments even when more follow.
    /// </summary>
    public IReadOnlySet<string>? TerminalIds { get; init; }

    /// <summary>Created at or after.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Created before.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>0 for <see cref="PaymentLimits.DefaultPageSize"/>; above <see cref="PaymentLimits.MaxPageSize"/> means that.</summary>
    public int PageSize { get; init; }

    /// <summary>The previous page's <see cref="ListPaymentsResult.Listed.NextPageToken"/>; null or empty for the first page.</summary>
    public string? PageToken { get; init; }
}

/// <summary>How a list request went.</summary>
public abstract record ListPaymentsResult
{
    private ListPaymentsResult()
    {
    }

    /// <summary>One page, newest first; <see cref="NextPageToken"/> is null on the last.</summary>
    public sealed record Listed(IReadOnlyList<Payment> Payments, string? NextPageToken) : ListPaymentsResult;

    /// <summary>Bad input (INVALID_ARGUMENT), every bad field named.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : ListPaymentsResult;
}
