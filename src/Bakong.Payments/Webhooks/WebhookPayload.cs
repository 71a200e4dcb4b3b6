using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Bakong.OpenApi.Client;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Webhooks;

/// <summary>
/// The JSON body of a webhook (schema in <c>docs/webhooks.md</c>). It describes the payment <em>as of the
/// event</em> — the state and version the outbox entry recorded, and only history up to that version — so every
/// redelivery of one event id sends the same bytes, even after the payment moved on (expired, then paid late).
/// </summary>
internal static class WebhookPayload
{
    public static byte[] Build(PendingOutboxEntry pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var (payment, entry) = (pending.Payment, pending.Entry);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", entry.EventId);
            json.WriteString("type", entry.Type);
            json.WriteString("created", Rfc3339(entry.CreateTime));
            json.WriteStartObject("data");
            json.WriteString("payment_id", payment.Id);
            json.WriteString("request_id", payment.RequestId);
            json.WriteString("terminal_id", payment.TerminalId);
            json.WriteString("merchant_profile_id", payment.MerchantProfileId);
            json.WriteString("state", PaymentStateNames.Of(entry.State));
            json.WriteNumber("version", entry.Version);
            json.WriteStartObject("amount");
            json.WriteString("currency", payment.Money.CurrencyCode);
            json.WriteString("value", payment.Money.ToKhqrAmount());
            json.WriteEndObject();
            json.WriteString("md5", payment.Md5);
            json.WriteString("bill_number", payment.BillNumber);
            WriteOptional(json, "order_ref", payment.OrderRef);
            WriteOptional(json, "store_label", payment.Parameters.StoreLabel);
            WriteOptional(json, "terminal_label", payment.Parameters.TerminalLabel);
            WriteOptional(json, "purpose_of_transaction", payment.Parameters.PurposeOfTransaction);
            json.WriteString("create_time", Rfc3339(payment.CreateTime));
            json.WriteString("expire_time", Rfc3339(payment.ExpireTime));
            WriteOptional(json, "settle_time", SettleTimeAt(payment, entry.Version) is { } settled ? Rfc3339(settled) : null);
            if (entry.State == PaymentState.Failed)
            {
                WriteOptional(json, "failure_reason", payment.FailureReason);
            }

            if (entry.State is PaymentState.Paid or PaymentState.PaidLate && payment.Transaction is { } transaction)
            {
                json.WritePropertyName("transaction");
                WriteTransaction(json, transaction);
            }

            if (entry.Type == "payment.review_required")
            {
                json.WriteStartObject("review");
                WriteOptional(json, "reason", EventAt(payment, entry.Version)?.Detail);
                if (payment.Review is { } review && review.Time == entry.CreateTime)
                {
                    json.WritePropertyName("transaction");
                    WriteTransaction(json, review.Transaction);
                }

                json.WriteEndObject();
            }

            if (entry.Type == "payment.resolved" && payment.Resolution is { } resolution)
            {
                // A payment is resolved once: the resolution stored is this event's.
                json.WriteStartObject("resolution");
                json.WriteString("kind", ResolutionNames.Of(resolution.Kind));
                json.WriteString("resolved_by", resolution.ResolvedBy);
                json.WriteString("resolve_time", Rfc3339(resolution.Time));
                WriteOptional(json, "note", resolution.Note);
                if (resolution.Refund is { } refund)
                {
                    json.WritePropertyName("refund");
                    WriteTransaction(json, refund);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTransaction(Utf8JsonWriter json, BakongTransaction t)
    {
        json.WriteStartObject();
        json.WriteString("hash", t.Hash);
        json.WriteStartObject("amount");
        json.WriteString("currency", t.Currency);
        json.WriteString("value", t.Amount.ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        WriteOptional(json, "from_account_id", t.FromAccountId);
        WriteOptional(json, "to_account_id", t.ToAccountId);
        WriteOptional(json, "created_time", t.CreatedAt is { } c ? Rfc3339(c) : null);
        WriteOptional(json, "acknowledged_time", t.AcknowledgedAt is { } a ? Rfc3339(a) : null);
        WriteOptional(json, "external_ref", t.ExternalRef);
        WriteOptional(json, "instruction_ref", t.InstructionRef);
        json.WriteEndObject();
    }

    // The outcome's time as of that version: a later PAID_LATE must not rewrite an EXPIRED event's settle time.
    private static DateTimeOffset? SettleTimeAt(Payment payment, long version)
    {
        DateTimeOffset? settled = null;
        foreach (var e in payment.Events)
        {
            if (e.Version <= version && e.IsOutcome)
            {
                settled = e.Time;
            }
        }

        return settled;
    }

    private static PaymentEvent? EventAt(Payment payment, long version)
    {
        foreach (var e in payment.Events)
        {
            if (e.Version == version)
            {
                return e;
            }
        }

        return null;
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
