using System.Collections.Concurrent;
using Bakong.Gateway.Access;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Limits;

/// <summary>
/// The per-caller limits of <see cref="GatewayLimitsOptions"/>: a token bucket of <c>CreatePayment</c> calls and a
/// count of open <c>WatchPayment</c> streams, per caller (<see cref="KeyOf"/>).
/// </summary>
/// <remarks>
/// The bucket is ours, not <c>System.Threading.RateLimiting</c>'s: that one refills on its own timer and the
/// stopwatch, and every clock here is the injected <see cref="TimeProvider"/> (tests move it; nothing waits on the
/// wall clock). A bucket is a few numbers refilled when it is asked, so there is no timer either.
/// </remarks>
internal sealed class CallerLimits
{
    /// <summary>Past this many callers tracked, the buckets that are full again (callers gone quiet) are dropped.</summary>
    private const int PruneAbove = 10_000;

    private readonly GatewayLimitsOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, TokenBucket> _creates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WatchCount> _watches = new(StringComparer.Ordinal);

    public CallerLimits(IOptions<GatewayLimitsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options.Value;
        _time = time;
    }

    public GatewayLimitsOptions Options => _options;

    /// <summary>
    /// Who a call counts against: its client, or without keys (<c>Auth:Mode</c> <c>None</c>) the IP address it comes
    /// from. Safe to log: a client id or an address, never a key.
    /// </summary>
    public static string KeyOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Caller().Client is { } client)
        {
            return "client " + client.Id;
        }

        var address = context.GetHttpContext().Connection.RemoteIpAddress;
        return "address " + (address is null ? "-" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());
    }

    /// <summary>Takes one <c>CreatePayment</c> from <paramref name="key"/>'s bucket: null when allowed, else the wait until one is.</summary>
    public TimeSpan? TryCreate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_creates.Count > PruneAbove)
        {
            foreach (var (k, bucket) in _creates)
            {
                if (bucket.IsFull(_time))
                {
                    _creates.TryRemove(k, out _);
                }
            }
        }

        return _creates.GetOrAdd(key, static (_, s) => new TokenBucket(s._options.CreatePaymentBurst, s._options.CreatePaymentInterval, s._time), this)
            .TryTake(_time);
    }

    /// <summary>Counts one more open watch of <paramref name="key"/>; null when it has <see cref="GatewayLimitsOptions.MaxWatchesPerCaller"/> already. Dispose when the stream ends.</summary>
    public IDisposable? TryWatch(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        while (true)
        {
            var count = _watches.GetOrAdd(key, static _ => new WatchCount());
            lock (count)
            {
                // A count that reached zero was removed (or is being removed): take a fresh one.
                if (count.Removed)
                {
                    continue;
                }

                if (count.Open >= _options.MaxWatchesPerCaller)
                {
                    return null;
                }

                count.Open++;
                return new WatchLease(this, key, count);
            }
        }
    }

    private void EndWatch(string key, WatchCount count)
    {
        lock (count)
        {
            if (--count.Open == 0)
            {
                count.Removed = true;
                _watches.TryRemove(new KeyValuePair<string, WatchCount>(key, count));
            }
        }
    }

    private sealed class WatchCount
    {
        public int Open { get; set; }

        public bool Removed { get; set; }
    }

    private sealed class WatchLease(CallerLimits owner, string key, WatchCount count) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.EndWatch(key, count);
            }
        }
    }

    /// <summary>A bucket of <c>capacity</c> tokens, one more every <c>interval</c>; starts full.</summary>
    private sealed class TokenBucket(int capacity, TimeSpan interval, TimeProvider time)
    {
        private readonly Lock _gate = new();
        private double _tokens = capacity;
        private long _refilled = time.GetTimestamp();

        public TimeSpan? TryTake(TimeProvider clock)
        {
            lock (_gate)
            {
                Refill(clock);
                if (_tokens >= 1)
                {
                    _tokens--;
                    return null;
                }

                return interval * (1 - _tokens);
            }
        }

        public bool IsFull(TimeProvider clock)
        {
            lock (_gate)
            {
                Refill(clock);
                return _tokens >= capacity;
            }
        }

        private void Refill(TimeProvider clock)
        {
            var now = clock.GetTimestamp();
            _tokens = Math.Min(capacity, _tokens + (clock.GetElapsedTime(_refilled, now) / interval));
            _refilled = now;
        }
    }
}
