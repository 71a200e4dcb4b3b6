using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Payments;
using Bakong.Payments.Storage;
using V1 = Bakong.Payments.V1;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// <c>ListPayments</c> over <see cref="IPaymentStore.ListAsync"/>. The page token wraps the store's with a fingerprint
/// of the filters, so a token used with other filters is INVALID_ARGUMENT. Several states are filtered here (the
/// store filters one), which the contract allows: a page may hold fewer payments even when more follow.
/// </summary>
internal sealed class PaymentListing(IPaymentStore store)
{
    public const int DefaultPageSize = 50;

    /// <summary>The longest page token a client may send: the tokens this class makes are under 200 characters.</summary>
    public const int MaxPageTokenLength = 256;

    private const string TokenVersion = "p1";

    /// <summary>The query the request asks for, or its violations.</summary>
    public static ListQuery? Parse(V1.ListPaymentsRequest request, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(violations);
        if (request.PageSize < 0)
        {
            violations.Add(new FieldViolation("page_size", "must not be negative"));
        }

        var states = new SortedSet<PaymentState>();
        foreach (var state in request.States)
        {
            if (PaymentMapper.ToDomain(state) is { } domain)
            {
                states.Add(domain);
            }
            else
            {
                violations.Add(new FieldViolation("states", "STATE_UNSPECIFIED and unknown values are not states to filter by"));
                break;
            }
        }

        var from = PaymentMapper.ToTime(request.StartCreateTime, "start_create_time", violations);
        var to = PaymentMapper.ToTime(request.EndCreateTime, "end_create_time", violations);
        if (from is not null && to is not null && to < from)
        {
            violations.Add(new FieldViolation("end_create_time", "must not be earlier than start_create_time"));
        }

        PaymentMapper.TerminalIdFilter(request.TerminalId, violations);
        var terminal = request.TerminalId.Length == 0 ? null : request.TerminalId;
        var fingerprint = Fingerprint(states, terminal, from, to);
        string? storeToken = null;
        if (request.PageToken.Length > MaxPageTokenLength)
        {
            violations.Add(new FieldViolation("page_token", request.PageToken.Length + " characters, at most " + MaxPageTokenLength));
        }
        else if (request.PageToken.Length > 0 && !TryDecode(request.PageToken, fingerprint, out storeToken))
        {
            violations.Add(new FieldViolation("page_token", "not a token from a ListPayments call with these filters"));
        }

        if (violations.Count > 0)
        {
            return null;
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, PaymentQuery.MaxPageSize);
        var query = new PaymentQuery
        {
            State = states.Count == 1 ? states.Min : null,
            TerminalId = terminal,
            CreatedFrom = from,
            CreatedTo = to,
            PageSize = pageSize,
            PageToken = storeToken,
        };
        return new ListQuery(query, states, fingerprint);
    }

    /// <summary>One page; null when the store refuses the wrapped token (a forged one).</summary>
    public async Task<V1.ListPaymentsResponse?> ListAsync(ListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        PaymentPage page;
        try
        {
            page = await store.ListAsync(query.Query, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException) when (query.Query.PageToken is not null)
        {
            return null;
        }

        var response = new V1.ListPaymentsResponse
        {
            NextPageToken = page.NextPageToken is { } next ? Encode(query.Fingerprint, next) : "",
        };
        foreach (var payment in page.Payments)
        {
            if (query.States.Count <= 1 || query.States.Contains(payment.State))
            {
                response.Payments.Add(PaymentMapper.ToProto(payment));
            }
        }

        return response;
    }

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
}

/// <summary>A parsed <c>ListPayments</c> request.</summary>
/// <param name="Query">What the store is asked.</param>
/// <param name="States">The states asked for; empty for any.</param>
/// <param name="Fingerprint">The filters' fingerprint, carried in the page token.</param>
internal sealed record ListQuery(PaymentQuery Query, IReadOnlySet<PaymentState> States, string Fingerprint);
