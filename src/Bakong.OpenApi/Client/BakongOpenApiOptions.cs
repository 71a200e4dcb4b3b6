using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Client;

/// <summary>Which Bakong the client talks to.</summary>
public enum BakongEnvironment
{
    /// <summary>The local simulated Bakong; <see cref="BakongOpenApiOptions.BaseUrl"/> must say where it listens.</summary>
    Sandbox,

    /// <summary>NBC's test system, <c>https://sit-api-bakong.nbc.gov.kh</c>.</summary>
    Sit,

    /// <summary>The real Bakong, <c>https://api-bakong.nbc.gov.kh</c>; it only accepts Cambodian IP addresses.</summary>
    Production,
}

/// <summary>Where Bakong is and how patiently the client talks to it (configuration section <c>Bakong:OpenApi</c>).</summary>
public sealed class BakongOpenApiOptions : IValidatableObject
{
    public const string SectionName = "Bakong:OpenApi";

    public static readonly Uri SitBaseUrl = new("https://sit-api-bakong.nbc.gov.kh/");

    public static readonly Uri ProductionBaseUrl = new("https://api-bakong.nbc.gov.kh/");

    /// <summary>Selects the preset host; <see cref="BaseUrl"/>, when set, wins over the preset.</summary>
    public BakongEnvironment Environment { get; set; } = BakongEnvironment.Sandbox;

    /// <summary>Any base URL (the sandbox, a relay); required for <see cref="BakongEnvironment.Sandbox"/>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>One HTTP attempt; NBC expects a check to complete within 10 s, so an attempt gets well under that.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>All attempts of one call, backoff included (NBC: "shall complete within 10s at most").</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt, on transient faults only. Long schedules belong to the poller.</summary>
    [Range(0, 10)]
    public int RetryCount { get; set; } = 2;

    /// <summary>First backoff delay; doubles with each retry, with jitter. Zero retries at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Share of faulted attempts within <see cref="CircuitBreakerSamplingDuration"/> that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts.</summary>
    [Range(2, 10_000)]
    public int CircuitBreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one probe call is let through.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most HTTP attempts in flight at once; the rest wait (within the total timeout).</summary>
    [Range(1, 1000)]
    public int MaxConcurrentCalls { get; set; } = 8;

    /// <summary>
    /// After the md5-list endpoint is refused (403/404, reported on production), how long batches go straight to
    /// single md5 checks before the list endpoint is tried again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan Md5ListFallbackDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The base address requests go to: <see cref="BaseUrl"/> if set, else the environment's preset.</summary>
    public Uri ResolveBaseAddress()
    {
        var url = BaseUrl ?? Environment switch
        {
            BakongEnvironment.Sit => SitBaseUrl,
            BakongEnvironment.Production => ProductionBaseUrl,
            _ => throw new InvalidOperationException("Bakong:OpenApi:BaseUrl is required when Environment is Sandbox."),
        };

        // A base address without the trailing slash would make "v1/x" replace its last segment.
        return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is null && Environment == BakongEnvironment.Sandbox)
        {
            yield return new ValidationResult(
                "BaseUrl is required when Environment is Sandbox (set it to where the sandbox listens, e.g. http://127.0.0.1:5080).",
                [nameof(BaseUrl)]);
        }

        if (BaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            yield return new ValidationResult("BaseUrl must be an absolute http or https URL.", [nameof(BaseUrl)]);
        }

        if (!Enum.IsDefined(Environment))
        {
            yield return new ValidationResult("Environment must be Sandbox, Sit or Production.", [nameof(Environment)]);
        }

        if (AttemptTimeout > TotalTimeout)
        {
            yield return new ValidationResult("AttemptTimeout must not exceed TotalTimeout.", [nameof(AttemptTimeout), nameof(TotalTimeout)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class BakongOpenApiOptionsValidator : IValidateOptions<BakongOpenApiOptions>;
