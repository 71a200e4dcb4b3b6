namespace Bakong.Payments;

/// <summary>
/// When an expired or cancelled payment is checked again, counted from the moment it expired or was cancelled:
/// money can reach Bakong after the POS gave up, and must then surface as <see cref="PaymentState.PaidLate"/>.
/// </summary>
public static class ReconciliationSchedule
{
    /// <summary>+5 min, +30 min, +2 h, +24 h.</summary>
    public static IReadOnlyList<TimeSpan> Default { get; } =
        [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(24)];

    /// <summary>The time of check number <paramref name="done"/> + 1, or <see langword="null"/> when all are done.</summary>
    public static DateTimeOffset? Next(DateTimeOffset settleTime, int done) =>
        done < Default.Count ? settleTime + Default[done] : null;
}
