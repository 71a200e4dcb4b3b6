namespace Bakong.Display.Link;

/// <summary>
/// One display's shared state between the bridge (which sets the desired screen, from any thread, at once) and the
/// link that owns the port (which converges the device to it and publishes its status).
/// </summary>
public sealed class DisplayController(string terminalId)
{
    /// <summary>How many payments with a result the controller remembers, to refuse their QR (far more than a counter sees at once).</summary>
    internal const int SettledMemory = 64;

    private readonly Lock _lock = new();
    private readonly Queue<string> _settledOrder = new();
    private readonly HashSet<string> _settled = new(StringComparer.Ordinal);
    private DesiredScreen? _desired;
    private DisplayLinkStatus _status = new();
    private Action? _desiredChanged;
    private Action? _commandQueued;
    private DeviceCommand? _command; // the one operator's command waiting for the link, or in flight

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

    /// <summary>
    /// Raised (on the link's loop) when the device acknowledged the whole desired screen: it shows it now. A result's hold
    /// counts from here, so a result that happened while the display was away is still shown for its hold.
    /// </summary>
    public event Action<DesiredScreen>? Shown;

    /// <summary>
    /// Replaces the desired screen; the link picks it up on its own loop. Never blocks on the device. False (and nothing
    /// changes) for the QR of a payment that already had a result: a payment only moves forward (SPEC.md §10.1).
    /// </summary>
    public bool SetDesired(DesiredScreen screen) => Set(expected: null, checkExpected: false, screen);

    /// <summary>Replaces the desired screen only if it is still <paramref name="expected"/> (a result's hold ending after a newer payment started).</summary>
    public bool TrySetDesired(DesiredScreen? expected, DesiredScreen screen) => Set(expected, checkExpected: true, screen);

    /// <summary>Whether a result was desired for <paramref name="paymentId"/> (among the last <see cref="SettledMemory"/>).</summary>
    public bool HasResult(string paymentId)
    {
        lock (_lock)
        {
            return _settled.Contains(paymentId);
        }
    }

    internal void MarkShown(DesiredScreen screen) => Shown?.Invoke(screen);

    /// <summary>
    /// Queues <paramref name="command"/> for the link, which sends it when no screen command is due or in flight (a
    /// payment's screen goes first, and a new one supersedes the command in flight). One at a time per display: false,
    /// and nothing queued, while another has no answer yet.
    /// </summary>
    public bool TrySubmit(DeviceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Action? notify;
        lock (_lock)
        {
            if (_command is { Answer.IsCompleted: false })
            {
                return false;
            }

            _command = command;
            notify = _commandQueued;
        }

        notify?.Invoke();
        return true;
    }

    /// <summary>
    /// The caller stopped waiting for <paramref name="command"/>: if the link has not taken it yet it is never sent. One
    /// already sent goes on to its answer (the link cannot unsend it), and holds the display's slot until then.
    /// </summary>
    public void Withdraw(DeviceCommand command, string reason)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_lock)
        {
            if (ReferenceEquals(_command, command) && !command.Taken)
            {
                command.Complete(DeviceCommandAnswer.Failed(reason));
            }
        }
    }

    /// <summary>The link's side: the queued command not yet sent, now taken to send.</summary>
    internal DeviceCommand? TakeCommand()
    {
        lock (_lock)
        {
            if (_command is { Taken: false, Answer.IsCompleted: false } command)
            {
                command.Taken = true;
                return command;
            }

            return null;
        }
    }

    private bool Set(DesiredScreen? expected, bool checkExpected, DesiredScreen screen)
    {
        ArgumentNullException.ThrowIfNull(screen);
        Action? notify;
        lock (_lock)
        {
            if ((checkExpected && !ReferenceEquals(_desired, expected)) || (screen is QrScreen qr && _settled.Contains(qr.PaymentId)))
            {
                return false;
            }

            if (screen is ResultScreen result && _settled.Add(result.PaymentId))
            {
                _settledOrder.Enqueue(result.PaymentId);
                if (_settledOrder.Count > SettledMemory)
                {
                    _settled.Remove(_settledOrder.Dequeue());
                }
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

    /// <summary>The link's side: <paramref name="onChanged"/> when the desired screen changes, <paramref name="onCommand"/> when a command is queued.</summary>
    internal IDisposable ListenForDesired(Action onChanged, Action? onCommand = null)
    {
        lock (_lock)
        {
            _desiredChanged = onChanged;
            _commandQueued = onCommand;
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
                    owner._commandQueued = null;
                }
            }
        }
    }
}
