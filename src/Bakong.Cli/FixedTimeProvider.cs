namespace Bakong.Cli;

/// <summary>A clock stopped at one instant: what <c>--now</c> turns the system clock into.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
