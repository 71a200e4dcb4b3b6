using Bakong.Cli.Khqr;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>
/// Follows one payment with <c>WatchPayment</c> to its end and tells the user: a status line per change (redrawn once
/// a second with the countdown when stdout is a terminal), or one JSON line per event with <c>--json</c>. Resumes a
/// broken stream with <c>after_version</c>.
/// </summary>
internal sealed class PaymentMonitor
{
    /// <summary>Consecutive UNAVAILABLE failures of the watch before the command gives up.</summary>
    public const int MaxResumes = 10;

    private readonly CliContext _context;
    private readonly bool _json;
    private readonly bool _live;
    private readonly Lock _gate = new();
    private Payment? _last;
    private string? _lastLine;
    private bool _lineOpen;

    public PaymentMonitor(CliContext context, bool json)
    {
        _context = context;
        _json = json;

        // Redraw in place only on a real terminal; a pipe or a file gets one line per change.
        _live = !json && ReferenceEquals(context.Output, Console.Out) && !Console.IsOutputRedirected;
    }

    /// <summary>The payment as last received; null before the first message.</summary>
    public Payment? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>Shows a payment just created (or found): its id, amount, md5 and, unless <paramref name="drawQr"/> is false, the QR.</summary>
    public void Introduce(Payment payment, string kind, bool drawQr)
    {
        lock (_gate)
        {
            _last = payment;
            var output = _context.Output;
            if (_json)
            {
                output.WriteLine(PaymentText.Event(kind, payment, _context.TimeProvider));
            }
            else
            {
                output.WriteLine($"Payment   {payment.PaymentId}");
                output.WriteLine($"Amount    {PaymentText.Amount(payment.Amount)}");
                output.WriteLine($"Terminal  {payment.TerminalId}" + (payment.OrderRef.Length > 0 ? $"   Order {payment.OrderRef}" : ""));
                output.WriteLine($"MD5       {payment.Md5}");
                output.WriteLine($"Expires   {PaymentText.Time(payment.ExpireTime, _context.TimeProvider)}");
                if (drawQr && payment.Khqr.Length > 0)
                {
                    output.Write(TerminalQr.Render(payment.Khqr));
                }

                WriteStatus(payment);
            }

            output.Flush();
        }
    }

    /// <summary>
    /// Watches the payment until it is terminal and returns it. Throws the <see cref="RpcException"/> of a call that
    /// failed for good, or the cancellation when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<Payment> WatchAsync(PaymentService.PaymentServiceClient client, string paymentId, CancellationToken cancellationToken)
    {
        using var stopTicker = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ticker = _live ? TickAsync(stopTicker.Token) : Task.CompletedTask;
        try
        {
            var failures = 0;
            while (true)
            {
                using var call = client.WatchPayment(
                    new WatchPaymentRequest { PaymentId = paymentId, AfterVersion = Last?.Version ?? 0 },
                    cancellationToken: cancellationToken);
                try
                {
                    while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    {
                        failures = 0;
                        Report(call.ResponseStream.Current.Payment);
                    }

                    // OK: the last payment received is terminal (possibly the one we already had).
                    if (Last is { } last && PaymentText.IsTerminal(last.State))
                    {
                        return last;
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && !cancellationToken.IsCancellationRequested && ++failures <= MaxResumes)
                {
                    Note($"watch interrupted ({GatewayClient.CodeName(e.StatusCode)}); resuming after version {Last?.Version ?? 0}");
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, failures)), _context.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await stopTicker.CancelAsync().ConfigureAwait(false);
            await ticker.ConfigureAwait(false);
        }
    }

    /// <summary>Writes the outcome (the last line, or the <c>result</c> event) and returns the exit code.</summary>
    public int Finish(Payment payment)
    {
        lock (_gate)
        {
            _last = payment;
            var output = _context.Output;
            var exitCode = PaymentExitCodes.For(payment.State);
            if (_json)
            {
                output.WriteLine(PaymentText.Event("result", payment, _context.TimeProvider, body => body["exitCode"] = exitCode));
            }
            else
            {
                EndLine();
                if (payment.NeedsReview)
                {
                    output.WriteLine("Needs review: " + payment.ReviewReason);
                }

                output.WriteLine(PaymentText.Outcome(payment));
            }

            output.Flush();
            return exitCode;
        }
    }

    /// <summary>A remark that is not a change of the payment (to stderr, so JSON output stays one event per line).</summary>
    public void Note(string text)
    {
        lock (_gate)
        {
            EndLine();
            _context.Output.Flush();
            _context.Error.WriteLine(text);
            _context.Error.Flush();
        }
    }

    private void Report(Payment payment)
    {
        lock (_gate)
        {
            if (_last is { } known && payment.Version <= known.Version && known.PaymentId == payment.PaymentId)
            {
                return;
            }

            _last = payment;
            if (_json)
            {
                _context.Output.WriteLine(PaymentText.Event("status", payment, _context.TimeProvider));
            }
            else
            {
                WriteStatus(payment);
            }

            _context.Output.Flush();
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _context.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (_last is { } payment && !PaymentText.IsTerminal(payment.State))
                    {
                        WriteStatus(payment);
                        _context.Output.Flush();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The watch is over.
        }
    }

    /// <summary>The status line; on a terminal redrawn in place, elsewhere written only when it says something new.</summary>
    private void WriteStatus(Payment payment)
    {
        if (PaymentText.IsTerminal(payment.State))
        {
            return; // Finish says it.
        }

        var line = PaymentText.Name(payment.State);
        if (payment.State == Payment.Types.State.Pending)
        {
            line += "  waiting for the customer, expires in " + PaymentText.Countdown(PaymentText.SecondsLeft(payment, _context.TimeProvider));
        }

        if (payment.NeedsReview)
        {
            line += "  (needs review: " + payment.ReviewReason + ")";
        }

        if (_live)
        {
            _context.Output.Write("\r\u001b[2K" + line);
            _lineOpen = true;
        }
        else if (payment.State != Payment.Types.State.Pending || _lastLine is null || payment.NeedsReview)
        {
            if (line != _lastLine)
            {
                _context.Output.WriteLine(line);
            }
        }

        _lastLine = line;
    }

    private void EndLine()
    {
        if (_lineOpen)
        {
            _context.Output.WriteLine();
            _lineOpen = false;
        }
    }
}
