namespace Bakong.Display.Link;

/// <summary>
/// One display's shared state between the bridge (which sets the desired screen, from any thread, at once) and the
/// link that owns the port (which converges the device to it and publishes its status).
/// </summary>
public sealed class DisplayController(string terminalId)
{
    private readonly Lock _lock = new();
    private DesiredScreen? _desired;
    private DisplayLinkStatus _status = new();
    private Action? _desiredChanged;

    public string TerminalId { get; } = terminalId;

    public DesiredScreen? Desired
    {
        get
        {
            lock (_lock)
            {
                return _desired;
            }
        }
    }

    public DisplayLinkStatus Status => Volatile.Read(ref _status);

    /// <summary>What this display may make the host log; kept across link sessions, so a reconnect earns no new burst.</summary>
    internal DeviceLogBudget LogBudget { get; } = new();

    /// <summary>Raised after every status change (on the link's loop).</summary>
    public event Action<DisplayLinkStatus>? StatusChanged;

    /// <summary>Replaces the desired screen; the link picks it up on its own loop. Never blocks on the device.</summary>
    public void SetDesired(DesiredScreen screen)
    {
        Action? notify;
        lock (_lock)
        {
            _desired = screen;
            notify = _desiredChanged;
        }

        notify?.Invoke();
    }

    /// <summary>Replaces the desired screen only if it is still <paramref name="expected"/> (a result's hold ending after a newer payment started).</summary>
    public bool TrySetDesired(DesiredScreen? expected, DesiredScreen screen)
    {
        Action? notify;
        lock (_lock)
        {
            if (!ReferenceEquals(_desired, expected))
            {
                return false;
            }

            _desired = screen;
            notify = _desiredChanged;
        }

        notify?.Invoke();
        return true;
    }

    public void UpdateStatus(Func<DisplayLinkStatus, DisplayLinkStatus> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        DisplayLinkStatus next;
        lock (_lock)
        {
            next = update(_status);
            Volatile.Write(ref _status, next);
        }

        StatusChanged?.Invoke(next);
    }

    internal IDisposable ListenForDesired(Action onChanged)
    {
        lock (_lock)
        {
            _desiredChanged = onChanged;
        }

        return new Unlisten(this, onChanged);
    }

    private sealed class Unlisten(DisplayController owner, Action listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._lock)
            {
                if (owner._desiredChanged == listener)
                {
                    owner._desiredChanged = null;
                }
            }
        }
    }
}
