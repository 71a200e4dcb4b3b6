using Bakong.Payments.Storage;

namespace Bakong.Payments.Exceptions;

/// <summary>
/// The exception queue: the payments that need a person (<see cref="Payment.NeedsPerson"/>: flagged for review, or paid
/// late, and not resolved yet), oldest first, a page at a time, each with its reason. A query of its own rather than a
/// <c>ListPayments</c> filter: the queue is operators' (the admin API), ordered oldest first (the longest waiting on
/// top), and "needs a person" is no state, so it has its own index (<see cref="IPaymentStore.ListExceptionsAsync"/>).
/// </summary>
public sealed class ExceptionListing
{
    private readonly IPaymentStore _store;

    public ExceptionListing(IPaymentStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <param name="pageSize">0 for <see cref="PaymentLimits.DefaultPageSize"/>; above <see cref="PaymentLimits.MaxPageSize"/> means that; negative is invalid.</param>
    /// <param name="pageToken">The previous page's token, or null/empty for the first page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<ListExceptionsResult> ListAsync(int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        if (pageSize < 0)
        {
            violations.Add(new FieldViolation("page_size", "must not be negative"));
        }

        if (pageToken is { Length: > PaymentLimits.PageToken })
        {
            violations.Add(new FieldViolation("page_token", pageToken.Length + " characters, at most " + PaymentLimits.PageToken));
        }

        if (violations.Count > 0)
        {
            return new ListExceptionsResult.Invalid(violations);
        }

        var query = new ExceptionQuery
        {
            PageSize = pageSize == 0 ? PaymentLimits.DefaultPageSize : Math.Min(pageSize, PaymentLimits.MaxPageSize),
            PageToken = string.IsNullOrEmpty(pageToken) ? null : pageToken,
        };
        try
        {
            var page = await _store.ListExceptionsAsync(query, cancellationToken).ConfigureAwait(false);
            return new ListExceptionsResult.Listed(page.Payments, page.NextPageToken);
        }
        catch (ArgumentException) when (query.PageToken is not null)
        {
            return new ListExceptionsResult.Invalid([new FieldViolation("page_token", "not a token from a ListExceptions call")]);
        }
    }
}

/// <summary>How an exception list request went.</summary>
public abstract record ListExceptionsResult
{
    private ListExceptionsResult()
    {
    }

    /// <summary>A page of the queue, oldest first; <see cref="NextPageToken"/> is null on the last.</summary>
    public sealed record Listed(IReadOnlyList<Payment> Payments, string? NextPageToken) : ListExceptionsResult;

    /// <summary>Bad input (INVALID_ARGUMENT), the field named.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : ListExceptionsResult;
}
