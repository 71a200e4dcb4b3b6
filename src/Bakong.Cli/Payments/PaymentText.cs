using System.Globalization;
using System.Text.Json.Nodes;
using Bakong.Grpc.Payments.V1;
using State = Bakong.Grpc.Payments.V1.Payment.Types.State;

namespace Bakong.Cli.Payments;

/// <summary>How a payment reads: states, amounts, times, and the JSON event lines.</summary>
internal static class PaymentText
{
    /// <summary>Compact, and without \\u escapes for characters a shell script reads fine (<c>+</c> in times).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions JsonLine = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static bool IsTerminal(State state) => state is not (State.Pending or State.Unspecified);

    /// <summary><c>STATE_PAID_LATE</c> → <c>PAID_LATE</c>.</summary>
    public static string Name(State state) => state switch
    {
        State.Pending => "PENDING",
        State.Paid => "PAID",
        State.Failed => "FAILED",
        State.Expired => "EXPIRED",
        State.Cancelled => "CANCELLED",
        State.PaidLate => "PAID_LATE",
        _ => "UNSPECIFIED",
    };

    /// <summary>Reads <c>paid</c>, <c>PAID</c>, <c>paid-late</c>, <c>STATE_PAID_LATE</c>; null if it is no state.</summary>
    public static State? ParseState(string text)
    {
        var name = text.Trim().Replace('-', '_').ToUpperInvariant();
        if (name.StartsWith("STATE_", StringComparison.Ordinal))
        {
            name = name["STATE_".Length..];
        }

        return name switch
        {
            "PENDING" => State.Pending,
            "PAID" => State.Paid,
            "FAILED" => State.Failed,
            "EXPIRED" => State.Expired,
            "CANCELLED" or "CANCELED" => State.Cancelled,
            "PAID_LATE" => State.PaidLate,
            _ => null,
        };
    }

    public static Money ToMoney(decimal amount, string currency)
    {
        var units = decimal.Truncate(amount);
        return new Money
        {
            CurrencyCode = currency,
            Units = (long)units,
            Nanos = (int)decimal.Round((amount - units) * 1_000_000_000m, MidpointRounding.ToZero),
        };
    }

    /// <summary><c>12.50 USD</c>, <c>5000 KHR</c>.</summary>
    public static string Amount(Money? money)
    {
        if (money is null)
        {
            return "";
        }

        var value = money.Units + (money.Nanos / 1_000_000_000m);
        var format = money.CurrencyCode == "USD" ? "0.00" : "0.#########";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + money.CurrencyCode;
    }

    /// <summary>Whole seconds from now to the payment's expiry, never negative.</summary>
    public static long SecondsLeft(Payment payment, TimeProvider time) =>
        payment.ExpireTime is null ? 0 : Math.Max(0, (long)Math.Ceiling((payment.ExpireTime.ToDateTimeOffset() - time.GetUtcNow()).TotalSeconds));

    /// <summary><c>4:59</c>.</summary>
    public static string Countdown(long seconds) =>
        (seconds / 60).ToString(CultureInfo.InvariantCulture) + ":" + (seconds % 60).ToString("00", CultureInfo.InvariantCulture);

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? timestamp, TimeProvider time) =>
        timestamp is null
            ? ""
            : TimeZoneInfo.ConvertTime(timestamp.ToDateTimeOffset(), time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>What a person reads when the payment is over.</summary>
    public static string Outcome(Payment payment) => payment.State switch
    {
        State.Paid => $"PAID: {Amount(payment.Amount)} received" + Transaction(payment),
        State.PaidLate => $"PAID_LATE: {Amount(payment.Amount)} arrived after the sale was abandoned; refund or accept it" + Transaction(payment),
        State.Failed => "FAILED: the customer's payment failed",
        State.Expired => "EXPIRED: no payment arrived before the QR expired",
        State.Cancelled => "CANCELLED: the payment was cancelled",
        _ => Name(payment.State),
    };

    /// <summary>
    /// One JSON event line: <c>{"event": kind, "secondsLeft": N, ..., "payment": {...}}</c>, the payment as REST writes
    /// it (<see cref="ProtoJson"/>), so a script reads the same names from <c>bakong pay --json</c> as from
    /// <c>GET /v1/payments/{id}</c>.
    /// </summary>
    public static string Event(string kind, Payment payment, TimeProvider time, Action<JsonObject>? extra = null)
    {
        var body = new JsonObject
        {
            ["event"] = kind,
            ["secondsLeft"] = payment.State == State.Pending ? SecondsLeft(payment, time) : 0,
        };
        extra?.Invoke(body);
        body["payment"] = ProtoJson.ToNode(payment);
        return body.ToJsonString(JsonLine);
    }

    private static string Transaction(Payment payment) =>
        payment.BakongTransaction is { Hash.Length: >= 8 } t ? $" (transaction {t.Hash[..8]})" : "";
}
