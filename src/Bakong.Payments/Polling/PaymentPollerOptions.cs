using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Polling;

/// <summary>
/// <c>Polling:*</c> — how often the poller asks Bakong about pending payments, and how it backs off.
/// </summary>
/// <remarks>
/// A pending payment is due from its creation and first checked at the poller's next tick (at most
/// <see cref="TickInterval"/> later: a creation does not wake the poller, so the creates of a tick share its list
/// calls and nobody is asked about a QR no customer can have scanned yet), then every <see cref="FastInterval"/> until
/// <see cref="FastUntil"/> after its creation, every <see cref="MediumInterval"/> until <see cref="MediumUntil"/>, and
/// every <see cref="SlowInterval"/> after that, never later than its expiry. At expiry Bakong is asked once more after
/// <see cref="ExpiryGrace"/>; if it still knows no transfer, the payment expires.
/// </remarks>
public sealed class PaymentPollerOptions : IValidatableObject
{
    public const string Section = "Polling";

    /// <summary>Bakong's list endpoint takes at most 50 md5s.</summary>
    public const int MaxBatchSize = 50;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FastInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Age of the payment up to which <see cref="FastInterval"/> applies.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FastUntil { get; set; } = TimeSpan.FromMinutes(1);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan MediumInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Age of the payment up to which <see cref="MediumInterval"/> applies.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MediumUntil { get; set; } = TimeSpan.FromMinutes(3);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SlowInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait between the check at expiry and the last one, for a transfer made at the last second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ExpiryGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>md5s per list call, 1 to 50.</summary>
    [Range(1, MaxBatchSize)]
    public int BatchSize { get; set; } = MaxBatchSize;

    /// <summary>Due payments read per pass; when a pass is full the next one starts at once.</summary>
    /// <remarks>
    /// Two list calls' worth. A pass holds all its payments until its last list call's saves are answered, so under
    /// load a pass of 1,000 kept thousands of objects alive across each garbage collection, and the GC's pauses
    /// stopped creates: gen 1 pauses took 4.7 ms on average against 1.6 ms with passes of 100, and the creates' p99
    /// at 1,000 a second went from 21–22 ms to 18–20 ms in interleaved pairs (docs/benchmarks.md).
    /// </remarks>
    [Range(1, 100_000)]
    public int MaxDuePerPass { get; set; } = 100;

    /// <summary>How often the loop looks for due payments when nobody wakes it (the schedule's resolution).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first delay after a fault (timeout, 5xx, 429, 401, open circuit); doubles while faults go on.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FaultRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FaultRetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FastUntil > MediumUntil)
        {
            yield return new ValidationResult("Polling:FastUntil must not be later than Polling:MediumUntil.", [nameof(FastUntil)]);
        }

        if (FaultRetryDelay > FaultRetryMaxDelay)
        {
            yield return new ValidationResult(
                "Polling:FaultRetryDelay must not be longer than Polling:FaultRetryMaxDelay.", [nameof(FaultRetryDelay)]);
        }
    }

    /// <summary>The wait before the next check of a pending payment of age <paramref name="age"/>.</summary>
    internal TimeSpan IntervalAt(TimeSpan age) =>
        age < FastUntil ? FastInterval : age < MediumUntil ? MediumInterval : SlowInterval;

    /// <summary>The wait after <paramref name="faults"/> (≥ 1) faults in a row.</summary>
    internal TimeSpan FaultDelay(int faults)
    {
        var factor = Math.Pow(2, Math.Clamp(faults - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(FaultRetryDelay.Ticks * factor, FaultRetryMaxDelay.Ticks));
    }
}

[OptionsValidator]
internal sealed partial class PaymentPollerOptionsValidator : IValidateOptions<PaymentPollerOptions>
{
}
