using System.ComponentModel.DataAnnotations;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Audit;

/// <summary>Where the call audit is kept and for how long.</summary>
public sealed class BakongCallAuditOptions
{
    /// <summary>
    /// The LiteDB file of the audit (its own file: LiteDB direct mode wants one owner per file); by default in
    /// <see cref="BakongDataDirectory"/>, and the gateway puts it beside <c>Storage:Path</c>.
    /// </summary>
    [Required]
    public string DatabasePath { get; set; } = BakongDataDirectory.DefaultFile(BakongDataDirectory.AuditFileName);

    /// <summary>Records older than this are pruned.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>At most this many records are kept; the oldest go first.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRecords { get; set; } = 1_000_000;

    /// <summary>How often pruning runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Records waiting for the writer. When full (the disk stalls under a burst of calls), the oldest waiting record
    /// is dropped and counted, so the caller never waits; its log event was already emitted.
    /// </summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;
}

[OptionsValidator]
internal sealed partial class BakongCallAuditOptionsValidator : IValidateOptions<BakongCallAuditOptions>
{
}
