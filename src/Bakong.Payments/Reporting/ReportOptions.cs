using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Reporting;

/// <summary><c>Reports:*</c> — how the settlement report reads a date.</summary>
public sealed class ReportOptions : IValidatableObject
{
    public const string Section = "Reports";

    /// <summary>The shop's time zone: its midnight ends a business day. An IANA id (<c>Asia/Phnom_Penh</c>).</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Phnom_Penh";

    /// <summary>The zone <see cref="TimeZone"/> names; valid once the options are validated.</summary>
    public TimeZoneInfo Zone => System.TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(TimeZone) && !System.TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return new ValidationResult(
                "Reports:TimeZone '" + TimeZone + "' is not a time zone this machine knows (an IANA id such as Asia/Phnom_Penh).", [nameof(TimeZone)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class ReportOptionsValidator : IValidateOptions<ReportOptions>
{
}
