using System.Text.Json;
using Bakong.OpenApi.Client;
using Bakong.Payments;
using Npgsql;
using NpgsqlTypes;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The mapping between <see cref="PaymentSnapshot"/> and a <c>payments</c> row with its <c>webhook_outbox</c> rows,
/// written out column by column (as the LiteDB store's <c>PaymentDocument</c>) so the stored format is explicit and
/// the domain carries no storage types. Times are UTC ticks, money minor units, enums their names. The history
/// (<c>events</c>), Bakong's transaction and a review are JSON arrays and objects with the same field names.
/// </summary>
internal static class PaymentRow
{
    /// <summary>The columns every read selects, in <see cref="Read"/>'s order, the outbox (a JSON array) last.</summary>
    public const string Columns = """
        p.id, p.request_id, p.params_hash, p.terminal_id, p.currency, p.amount_minor, p.order_ref, p.expires_in,
        p.store_label, p.terminal_label, p.bill_number, p.receiving_account, p.qr, p.md5, p.create_time, p.expire_time,
        p.state, p.version, p.update_time, p.settle_time, p.next_check, p.check_count, p.last_check_time,
        p.reconciliation_count, p.failure_reason, p.bakong_transaction::text, p.review::text, p.events::text,
        (SELECT json_agg(json_build_array(o.event_id, o.type, o.version, o.state, o.create_time, o.attempts,
                o.next_attempt_time, o.delivered_time, o.last_error) ORDER BY o.position)::text
         FROM webhook_outbox o WHERE o.payment_id = p.id),
        p.resolution::text, p.merchant_profile_id, p.purpose, p.pos_bill_number
        """;

    /// <summary>The columns a save changes (the rest are fixed at creation), as <c>SET</c> assignments.</summary>
    public const string MutableAssignments = """
        state = @state, version = @version, update_time = @update_time, settle_time = @settle_time,
        next_check = @next_check, check_count = @check_count, last_check_time = @last_check_time,
        reconciliation_count = @reconciliation_count, failure_reason = @failure_reason,
        bakong_transaction = @bakong_transaction, review = @review, events = @events, resolution = @resolution
        """;

    public const string InsertColumns = """
        id, request_id, params_hash, terminal_id, currency, amount_minor, order_ref, expires_in, store_label,
        terminal_label, bill_number, receiving_account, qr, md5, create_time, expire_time, state, version, update_time,
        settle_time, next_check, check_count, last_check_time, reconciliation_count, failure_reason, bakong_transaction,
        review, events, resolution, merchant_profile_id, purpose, pos_bill_number
        """;

    public const string InsertValues = """
        @id, @request_id, @params_hash, @terminal_id, @currency, @amount_minor, @order_ref, @expires_in, @store_label,
        @terminal_label, @bill_number, @receiving_account, @qr, @md5, @create_time, @expire_time, @state, @version,
        @update_time, @settle_time, @next_check, @check_count, @last_check_time, @reconciliation_count, @failure_reason,
        @bakong_transaction, @review, @events, @resolution, @merchant_profile_id, @purpose, @pos_bill_number
        """;

    /// <summary>Adds every column's parameter (for an insert; a save uses the mutable ones and <c>id</c>).</summary>
    public static void AddParameters(NpgsqlParameterCollection parameters, PaymentSnapshot p)
    {
        var q = p.Parameters;
        Text(parameters, "id", p.Id);
        Text(parameters, "request_id", p.RequestId);
        Text(parameters, "params_hash", p.ParametersHash);
        Text(parameters, "terminal_id", q.TerminalId);
        Text(parameters, "currency", q.Money.CurrencyCode);
        Long(parameters, "amount_minor", q.Money.MinorUnits);
        Text(parameters, "order_ref", q.OrderRef);
        Long(parameters, "expires_in", q.ExpiresIn.Ticks);
        Text(parameters, "store_label", q.StoreLabel);
        Text(parameters, "terminal_label", q.TerminalLabel);
        Text(parameters, "bill_number", p.BillNumber);
        Text(parameters, "receiving_account", p.ReceivingAccount);
        Text(parameters, "merchant_profile_id", p.MerchantProfileId);
        Text(parameters, "purpose", q.PurposeOfTransaction);
        Text(parameters, "pos_bill_number", q.BillNumber);
        Text(parameters, "qr", p.Qr);
        Text(parameters, "md5", p.Md5);
        Long(parameters, "create_time", p.CreateTime.UtcTicks);
        Long(parameters, "expire_time", p.ExpireTime.UtcTicks);
        AddMutableParameters(parameters, p);
    }

    public static void AddMutableParameters(NpgsqlParameterCollection parameters, PaymentSnapshot p)
    {
        Text(parameters, "state", p.State.ToString());
        Long(parameters, "version", p.Version);
        Long(parameters, "update_time", p.UpdateTime.UtcTicks);
        Long(parameters, "settle_time", p.SettleTime?.UtcTicks);
        Long(parameters, "next_check", p.NextCheckTime?.UtcTicks);
        Int(parameters, "check_count", p.CheckCount);
        Long(parameters, "last_check_time", p.LastCheckTime?.UtcTicks);
        Int(parameters, "reconciliation_count", p.ReconciliationCount);
        Text(parameters, "failure_reason", p.FailureReason);
        Json(parameters, "bakong_transaction", p.Transaction is null ? null : Write(w => WriteTransaction(w, p.Transaction)));
        Json(parameters, "review", p.Review is null ? null : Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("reason", p.Review.Reason);
            w.WriteNumber("time", p.Review.Time.UtcTicks);
            w.WritePropertyName("transaction");
            WriteTransaction(w, p.Review.Transaction);
            w.WriteEndObject();
        }));
        Json(parameters, "resolution", p.Resolution is null ? null : Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", p.Resolution.Kind.ToString());
            if (p.Resolution.Refund is { } refund)
            {
                w.WritePropertyName("refund");
                WriteTransaction(w, refund);
            }
            else
            {
                w.WriteNull("refund");
            }

            w.WriteString("resolved_by", p.Resolution.ResolvedBy);
            w.WriteNumber("time", p.Resolution.Time.UtcTicks);
            w.WriteString("note", p.Resolution.Note);
            w.WriteEndObject();
        }));
        Json(parameters, "events", Write(w =>
        {
            w.WriteStartArray();
            foreach (var e in p.Events)
            {
                w.WriteStartObject();
                w.WriteNumber("version", e.Version);
                w.WriteNumber("time", e.Time.UtcTicks);
                w.WriteString("type", e.Type.ToString());
                w.WriteString("state", e.State.ToString());
                w.WriteString("detail", e.Detail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>The outbox row's columns, in the order of <see cref="OutboxValues"/>.</summary>
    public const string OutboxColumns =
        "event_id, payment_id, position, type, version, state, create_time, attempts, next_attempt_time, delivered_time, last_error";

    /// <summary>The parameters <see cref="AddOutboxParameters"/> adds, in the order of <see cref="OutboxColumns"/>.</summary>
    public const string OutboxValues =
        "@event_id, @payment_id, @position, @type, @version, @state, @create_time, @attempts, @next_attempt_time, @delivered_time, @last_error";

    /// <summary>One outbox row's parameters, suffixed with its position so several fit one batch.</summary>
    public static void AddOutboxParameters(NpgsqlParameterCollection parameters, string paymentId, int position, OutboxEntry o)
    {
        Text(parameters, "payment_id", paymentId);
        Int(parameters, "position", position);
        Text(parameters, "event_id", o.EventId);
        Text(parameters, "type", o.Type);
        Long(parameters, "version", o.Version);
        Text(parameters, "state", o.State.ToString());
        Long(parameters, "create_time", o.CreateTime.UtcTicks);
        Int(parameters, "attempts", o.Attempts);
        Long(parameters, "next_attempt_time", o.NextAttemptTime?.UtcTicks);
        Long(parameters, "delivered_time", o.DeliveredTime?.UtcTicks);
        Text(parameters, "last_error", o.LastError);
    }

    /// <summary>A row selected with <see cref="Columns"/>, as the payment it stores.</summary>
    public static Payment Read(NpgsqlDataReader r)
    {
        var id = r.GetString(0);
        var currency = Money.TryParseCurrency(r.GetString(4), out var c)
            ? c
            : throw new InvalidDataException("Stored payment " + id + " has an unknown currency.");
        var snapshot = new PaymentSnapshot
        {
            Id = id,
            RequestId = r.GetString(1),
            ParametersHash = r.GetString(2),
            Parameters = new PaymentParameters
            {
                TerminalId = r.GetString(3),
                Money = Money.FromMinorUnits(currency, r.GetInt64(5)),
                OrderRef = NullableText(r, 6),
                ExpiresIn = TimeSpan.FromTicks(r.GetInt64(7)),
                StoreLabel = NullableText(r, 8),
                TerminalLabel = NullableText(r, 9),
                PurposeOfTransaction = NullableText(r, 31),
                BillNumber = NullableText(r, 32),
            },
            BillNumber = r.GetString(10),
            ReceivingAccount = r.GetString(11),
            MerchantProfileId = r.GetString(30),
            Qr = r.GetString(12),
            Md5 = r.GetString(13),
            CreateTime = Time(r.GetInt64(14)),
            ExpireTime = Time(r.GetInt64(15)),
            State = Enum.Parse<PaymentState>(r.GetString(16)),
            Version = r.GetInt64(17),
            UpdateTime = Time(r.GetInt64(18)),
            SettleTime = NullableTime(r, 19),
            NextCheckTime = NullableTime(r, 20),
            CheckCount = r.GetInt32(21),
            LastCheckTime = NullableTime(r, 22),
            ReconciliationCount = r.GetInt32(23),
            FailureReason = NullableText(r, 24),
            Transaction = NullableText(r, 25) is { } transaction ? Parse(transaction, ReadTransaction) : null,
            Review = NullableText(r, 26) is { } review
                ? Parse(review, e => new PaymentReview(e.GetProperty("reason").GetString()!, Time(e.GetProperty("time").GetInt64()), ReadTransaction(e.GetProperty("transaction"))))
                : null,
            Events = Parse(r.GetString(27), ReadEvents),
            Outbox = NullableText(r, 28) is { } outbox ? Parse(outbox, ReadOutbox) : [],
            Resolution = NullableText(r, 29) is { } resolution ? Parse(resolution, ReadResolution) : null,
        };
        return Payment.FromSnapshot(snapshot);
    }

    private static PaymentResolution ReadResolution(JsonElement e) => new(
        Enum.Parse<ResolutionKind>(e.GetProperty("kind").GetString()!),
        e.GetProperty("refund").ValueKind == JsonValueKind.Null ? null : ReadTransaction(e.GetProperty("refund")),
        e.GetProperty("resolved_by").GetString()!,
        Time(e.GetProperty("time").GetInt64()),
        e.GetProperty("note").GetString());

    private static List<PaymentEvent> ReadEvents(JsonElement array)
    {
        var events = new List<PaymentEvent>(array.GetArrayLength());
        foreach (var e in array.EnumerateArray())
        {
            events.Add(new PaymentEvent(
                e.GetProperty("version").GetInt64(),
                Time(e.GetProperty("time").GetInt64()),
                Enum.Parse<PaymentEventType>(e.GetProperty("type").GetString()!),
                Enum.Parse<PaymentState>(e.GetProperty("state").GetString()!),
                e.GetProperty("detail").GetString()));
        }

        return events;
    }

    private static List<OutboxEntry> ReadOutbox(JsonElement array)
    {
        var outbox = new List<OutboxEntry>(array.GetArrayLength());
        foreach (var o in array.EnumerateArray())
        {
            outbox.Add(new OutboxEntry(
                o[0].GetString()!,
                o[1].GetString()!,
                o[2].GetInt64(),
                Enum.Parse<PaymentState>(o[3].GetString()!),
                Time(o[4].GetInt64()))
            {
                Attempts = o[5].GetInt32(),
                NextAttemptTime = NullableTime(o[6]),
                DeliveredTime = NullableTime(o[7]),
                LastError = o[8].GetString(),
            });
        }

        return outbox;
    }

    private static void WriteTransaction(Utf8JsonWriter w, BakongTransaction t)
    {
        w.WriteStartObject();
        w.WriteString("hash", t.Hash);
        w.WriteString("from_account_id", t.FromAccountId);
        w.WriteString("to_account_id", t.ToAccountId);
        w.WriteString("currency", t.Currency);
        w.WriteNumber("amount", t.Amount);
        w.WriteString("description", t.Description);
        WriteNullable(w, "created_date_ms", t.CreatedDateMs);
        WriteNullable(w, "acknowledged_date_ms", t.AcknowledgedDateMs);
        w.WriteString("tracking_status", t.TrackingStatus);
        w.WriteString("receiver_bank", t.ReceiverBank);
        w.WriteString("receiver_bank_account", t.ReceiverBankAccount);
        w.WriteString("instruction_ref", t.InstructionRef);
        w.WriteString("external_ref", t.ExternalRef);
        w.WriteEndObject();
    }

    private static BakongTransaction ReadTransaction(JsonElement d) => new()
    {
        Hash = d.GetProperty("hash").GetString()!,
        FromAccountId = d.GetProperty("from_account_id").GetString(),
        ToAccountId = d.GetProperty("to_account_id").GetString(),
        Currency = d.GetProperty("currency").GetString()!,
        Amount = d.GetProperty("amount").GetDecimal(),
        Description = d.GetProperty("description").GetString(),
        CreatedDateMs = NullableLong(d.GetProperty("created_date_ms")),
        AcknowledgedDateMs = NullableLong(d.GetProperty("acknowledged_date_ms")),
        TrackingStatus = d.GetProperty("tracking_status").GetString(),
        ReceiverBank = d.GetProperty("receiver_bank").GetString(),
        ReceiverBankAccount = d.GetProperty("receiver_bank_account").GetString(),
        InstructionRef = d.GetProperty("instruction_ref").GetString(),
        ExternalRef = d.GetProperty("external_ref").GetString(),
    };

    private static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static T Parse<T>(string json, Func<JsonElement, T> read)
    {
        using var document = JsonDocument.Parse(json);
        return read(document.RootElement);
    }

    private static void Text(NpgsqlParameterCollection parameters, string name, string? value) =>
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    private static void Long(NpgsqlParameterCollection parameters, string name, long? value) =>
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = value is { } v ? v : DBNull.Value });

    private static void Int(NpgsqlParameterCollection parameters, string name, int value) =>
        parameters.Add(new NpgsqlParameter<int>(name, NpgsqlDbType.Integer) { TypedValue = value });

    private static void Json(NpgsqlParameterCollection parameters, string name, string? value) =>
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = value is null ? DBNull.Value : value });

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Time(r.GetInt64(ordinal));

    private static DateTimeOffset? NullableTime(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Time(e.GetInt64());

    private static long? NullableLong(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt64();

    private static string? NullableText(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}
