using System.Globalization;

namespace Bakong.Cli.Payments;

/// <summary>
/// The resident memory of the gateway (<c>VmRSS</c> in Linux's <c>/proc/&lt;pid&gt;/status</c>) and of this client,
/// read when asked and every <see cref="s_period"/> in between, keeping the highest of each. Sampled rather than read from
/// <c>VmHWM</c> because that is the gateway's peak since it started, not during this run.
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    /// <summary>Often enough to catch the plateau of a run that lasts seconds; one small file read each time.</summary>
    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(100);

    private readonly int? _gatewayPid;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long? _gatewayPeak;
    private long _clientPeak;

    /// <param name="clock">Drives the periodic samples.</param>
    /// <param name="gatewayPid">The gateway's process id, or null to sample only this client.</param>
    public MemorySampler(TimeProvider clock, int? gatewayPid)
    {
        _gatewayPid = gatewayPid;
        GatewayBefore = gatewayPid is { } pid ? ReadRss(pid) : null;
        Sample();
        _timer = clock.CreateTimer(_ => Sample(), null, s_period, s_period);
    }

    /// <summary>The gateway's resident bytes when sampling began; null without a process id.</summary>
    public long? GatewayBefore { get; }

    public long? GatewayPeak
    {
        get
        {
            lock (_gate)
            {
                return _gatewayPeak;
            }
        }
    }

    public long ClientPeak
    {
        get
        {
            lock (_gate)
            {
                return _clientPeak;
            }
        }
    }

    /// <summary>The <c>/proc</c> file <see cref="ReadRss"/> reads: it exists while the process does (Linux only).</summary>
    public static string StatusPath(int pid) => "/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/status";

    /// <summary>The process's <c>VmRSS</c> in bytes; null when it has gone or the line is missing.</summary>
    public static long? ReadRss(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(StatusPath(pid));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        foreach (var line in lines)
        {
            // "VmRSS:\t  123456 kB"
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                return kib * 1024;
            }
        }

        return null;
    }

    /// <summary>Reads both now, keeping the higher of each (also called at each step of the run).</summary>
    public void Sample()
    {
        var gateway = _gatewayPid is { } pid ? ReadRss(pid) : null;
        var client = Environment.WorkingSet;
        lock (_gate)
        {
            if (gateway > (_gatewayPeak ?? 0))
            {
                _gatewayPeak = gateway;
            }

            _clientPeak = Math.Max(_clientPeak, client);
        }
    }

    public void Dispose() => _timer.Dispose();
}
