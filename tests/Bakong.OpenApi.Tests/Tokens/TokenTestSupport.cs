using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.OpenApi.Tests.Tokens;

/// <summary>A directory under the temp path, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bakong-openapi-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Every file's bytes except the key file, to look for plaintext.</summary>
    public byte[] AllDatabaseBytes() =>
        Directory.EnumerateFiles(Path).Where(f => !f.EndsWith(".key", StringComparison.Ordinal)).SelectMany(System.IO.File.ReadAllBytes).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>HS256-shaped JWTs with a chosen <c>exp</c>, like Bakong's; signatures are random (nobody checks them here).</summary>
internal static class TestJwt
{
    /// <summary>The token in NBC's Open API document (§4.2), exp 1625111548.</summary>
    public const string NbcDocumentSample =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE2MjUxMTE1NDgsImlhdCI6MTYxNzA3NjM0OCwiZGF0YSI6eyJpZCI6ImQ0MDczMWQzZGM3YjRlMSJ9fQ.aPZFsTYT4oh2T5XAGcwobiDEJJF1wqqEoLkIDvq-hsM";

    public static string Create(DateTimeOffset expiresAt, string id = "7f450ae23ada4150")
    {
        var iat = expiresAt.AddDays(-90).ToUnixTimeSeconds();
        var payload = $$"""{"data":{"id":"{{id}}"},"iat":{{iat}},"exp":{{expiresAt.ToUnixTimeSeconds()}}}""";
        return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + Base64Url(Encoding.UTF8.GetBytes(payload)) + "."
            + Base64Url(RandomNumberGenerator.GetBytes(32));
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

/// <summary>
/// <see cref="IBakongRegistrationApi"/> whose renewals are answered by <see cref="RenewHandler"/>; every renewal call
/// is counted and announced on <see cref="RenewCalls"/>.
/// </summary>
internal sealed class FakeRegistrationApi : IBakongRegistrationApi
{
    private int _renewCount;

    public int RenewCount => Volatile.Read(ref _renewCount);

    public Channel<string> RenewCalls { get; } = Channel.CreateUnbounded<string>();

    public ConcurrentQueue<(string Email, string Organization, string Project)> Registrations { get; } = new();

    public Func<string, Task<BakongResult<string>>> RenewHandler { get; set; } =
        _ => Task.FromResult(BakongResult<string>.Error(10, "Not registered yet"));

    public Func<string, BakongResult<string>> VerifyHandler { get; set; } = _ => BakongResult<string>.Error(6, "Unauthorized");

    public BakongResult RequestTokenResult { get; set; } = BakongResult.Success("Email has been sent");

    public Task<BakongResult> RequestTokenAsync(string email, string organization, string project, CancellationToken cancellationToken)
    {
        Registrations.Enqueue((email, organization, project));
        return Task.FromResult(RequestTokenResult);
    }

    public Task<BakongResult<string>> VerifyAsync(string code, CancellationToken cancellationToken) => Task.FromResult(VerifyHandler(code));

    public Task<BakongResult<string>> RenewTokenAsync(string email, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _renewCount);
        RenewCalls.Writer.TryWrite(email);
        return RenewHandler(email);
    }

    /// <summary>Answers renewals with fresh 90-day tokens from <paramref name="time"/>, remembering the last one.</summary>
    public Func<string> IssueFreshTokens(TimeProvider time)
    {
        string? last = null;
        RenewHandler = _ =>
        {
            last = TestJwt.Create(time.GetUtcNow().AddDays(90), "renewed" + RenewCount);
            return Task.FromResult(BakongResult<string>.Success(last, "Token has been issued"));
        };
        return () => last!;
    }
}

/// <summary>A <see cref="FakeTimeProvider"/> that says when a timer is created and for how long, so a test advances
/// the clock only once the code under test is waiting.</summary>
internal sealed class SignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    public Channel<TimeSpan> TimersCreated { get; } = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TimersCreated.Writer.TryWrite(dueTime);
        return timer;
    }

    public async Task<TimeSpan> NextTimerAsync() =>
        await TimersCreated.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
}

/// <summary>A token manager over a temp store, with a fake clock, fake logger and fake registration API.</summary>
internal sealed class TokenFixture : IDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    public TokenFixture(Action<BakongTokenOptions>? configure = null, SignallingTimeProvider? time = null)
    {
        Time = time ?? new SignallingTimeProvider(Start);
        Options = new BakongTokenOptions { DatabasePath = Directory.File("tokens.db"), Environment = BakongEnvironment.Sit };
        configure?.Invoke(Options);
        Store = new TokenStore(Options.DatabasePath);
        Manager = NewManager(Store);
    }

    public TempDirectory Directory { get; } = new();

    public SignallingTimeProvider Time { get; }

    public BakongTokenOptions Options { get; }

    public FakeRegistrationApi Api { get; } = new();

    public FakeLogCollector Logs { get; } = new();

    public TokenStore Store { get; private set; }

    public BakongTokenManager Manager { get; private set; }

    public BakongTokenManager NewManager(TokenStore store, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null) =>
        new(store, Api, Microsoft.Extensions.Options.Options.Create(Options), Time, new FakeLogger(Logs, "tokens"), meterFactory);

    /// <summary>Closes the store and opens it again from disk, with a new manager.</summary>
    public void Reopen()
    {
        Store.Dispose();
        Store = new TokenStore(Options.DatabasePath);
        Manager = NewManager(Store);
    }

    public int CountEvents(int eventId) => Logs.GetSnapshot().Count(r => r.Id.Id == eventId);

    /// <summary>Everything logged, rendered and structured, to search for secrets.</summary>
    public string AllLogText() => LogText(Logs);

    public static string LogText(FakeLogCollector logs) => string.Join(
        "\n",
        logs.GetSnapshot().Select(r => r.Message + " " + r.Exception + " " + string.Join(";", r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? [])));

    public void Dispose()
    {
        Store.Dispose();
        Directory.Dispose();
    }
}
