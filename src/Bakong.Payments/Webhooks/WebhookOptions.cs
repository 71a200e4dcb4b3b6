using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Webhooks;

/// <summary>
/// <c>Webhooks:*</c> — where payment outcomes are POSTed and how delivery retries. Without a <see cref="Url"/> the
/// dispatcher does not run and outbox entries stay undelivered: they are sent, oldest first, once a URL is configured
/// and the gateway restarts. Nothing is dropped or marked skipped.
/// </summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>The shortest <see cref="Secret"/> accepted: 32 characters (e.g. 24 random bytes in base64).</summary>
    public const int MinSecretLength = 32;

    /// <summary>The receiver's absolute <c>https</c> URL (<c>http</c> only for loopback or with <see cref="AllowHttp"/>); <see langword="null"/> turns delivery off.</summary>
    public Uri? Url { get; set; }

    /// <summary>The HMAC-SHA256 key (its UTF-8 bytes) shared with the receiver; a <see cref="Url"/> needs at least one secret.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// More secrets to sign with at the same time, each its own <c>v1=</c> in the header: a receiver that knows any
    /// one of them accepts, so a secret is rotated without a gap (add the new one, move the receiver, drop the old).
    /// </summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>
    /// A file holding the secrets instead, one per line (blank lines ignored): keeps them out of the configuration and
    /// the environment. Read at start; not together with <see cref="Secret"/> or <see cref="Secrets"/>.
    /// </summary>
    public string? SecretFile { get; set; }

    /// <summary>Allow a plain <c>http</c> URL on a non-loopback host (a trusted private network).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>How long one attempt may take, connection to response headers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The retry delay after the first failed attempt; it doubles per failure up to <see cref="BackoffMax"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest retry delay: at-least-once delivery keeps retrying at this interval.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Give up (park the entry) after this many attempts; <see langword="null"/> (the default) retries forever.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxAttempts { get; set; }

    /// <summary>How often the dispatcher looks for due entries when nobody signals it (a safety net for saves that do not call <see cref="IWebhookSignal.Notify"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Entries read from the store per pass.</summary>
    [Range(1, 500)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Payments whose webhooks are sent at the same time (one payment's events go one after another).</summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 4;

    public bool IsEnabled => Url is not null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Url is null)
        {
            yield break;
        }

        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttps && Url.Scheme != Uri.UriSchemeHttp))
        {
            yield return new ValidationResult("Webhooks:Url must be an absolute http(s) URL.", [nameof(Url)]);
        }
        else if (Url.Scheme == Uri.UriSchemeHttp && !Url.IsLoopback && !AllowHttp)
        {
            yield return new ValidationResult(
                "Webhooks:Url must use https (plain http is allowed for loopback, or set Webhooks:AllowHttp on a trusted network).", [nameof(Url)]);
        }

        foreach (var failure in SecretFailures())
        {
            yield return failure;
        }

        if (BackoffMax < BackoffBase)
        {
            yield return new ValidationResult("Webhooks:BackoffMax must not be shorter than Webhooks:BackoffBase.", [nameof(BackoffMax)]);
        }
    }

    /// <summary>Every secret to sign with, in order: <see cref="Secret"/> then <see cref="Secrets"/>, or the lines of <see cref="SecretFile"/>.</summary>
    /// <exception cref="IOException">The secret file cannot be read (checked at start by validation).</exception>
    public IReadOnlyList<string> SigningSecrets()
    {
        if (!string.IsNullOrWhiteSpace(SecretFile))
        {
            return [.. File.ReadAllLines(SecretFile).Select(l => l.Trim()).Where(l => l.Length > 0)];
        }

        return [.. new[] { Secret }.Concat(Secrets).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!)];
    }

    private List<ValidationResult> SecretFailures()
    {
        if (!string.IsNullOrWhiteSpace(SecretFile) && (!string.IsNullOrEmpty(Secret) || Secrets.Count > 0))
        {
            return [new ValidationResult("Webhooks:SecretFile is not used together with Webhooks:Secret or Webhooks:Secrets: keep the secrets in one place.", [nameof(SecretFile)])];
        }

        IReadOnlyList<string> secrets;
        try
        {
            secrets = SigningSecrets();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [new ValidationResult($"Webhooks:SecretFile '{SecretFile}' cannot be read: {e.Message}", [nameof(SecretFile)])];
        }

        // The secrets themselves never appear in a message: only which setting is short.
        var name = string.IsNullOrWhiteSpace(SecretFile) ? "Webhooks:Secret" : "Webhooks:SecretFile";
        if (secrets.Count == 0)
        {
            return [new ValidationResult("Webhooks:Secret is required when Webhooks:Url is set (or Webhooks:Secrets, or Webhooks:SecretFile).", [nameof(Secret)])];
        }

        return secrets.Any(s => s.Length < MinSecretLength)
            ? [new ValidationResult($"{name} must be at least {MinSecretLength} characters (every secret; {secrets.Count} given).", [nameof(Secret)])]
            : [];
    }
}

[OptionsValidator]
internal sealed partial class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
}
