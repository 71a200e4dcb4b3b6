using Bakong.OpenApi.Client;
using LiteDB;

namespace Bakong.Payments.Storage;

/// <summary>
/// The mapping between <see cref="PaymentSnapshot"/> and its LiteDB document, written out field by field so the
/// stored format is explicit, stable under refactoring, and the domain types carry no LiteDB attributes. Times are
/// UTC ticks (exact round-trip); money is minor units (exact); enums are names (readable with LiteDB Studio).
/// </summary>
internal static class PaymentDocument
{
    public const string NextCheck = "next_check";
    public const string RequestId = "request_id";
    public const string Md5 = "md5";
    public const string State = "state";
    public const string Version = "version";
    public const string TerminalId = "terminal_id";
    public const string CreatedKey = "created_key";
    public const string CreateTime = "create_time";
    public const string ExpireTime = "expire_time";

    // The keys of the list and due indexes, computed here and stored, so each index is a plain field path: LiteDB
    // parses every index's expression whenever it reads the collection's page (every read and every batch), and the
    // same keys as expressions (LPAD, STRING, LENGTH, IIF, FORMAT) cost a create more than its fsync.
    public const string ListTerminalKey = "list_terminal_key";
    public const string ListStateKey = "list_state_key";
    public const string ListTerminalStateKey = "list_terminal_state_key";
    public const string DueKey = "due_key";

    // The keys of the sparse indexes: an array with the key for a payment the index is about, empty for every other, so
    // the index holds only the former (LiteDB indexes a null key, but no element of an empty array). Most payments
    // never need a person, have a settled transaction only once paid, and have nothing to deliver once delivered:
    // a create then adds 8 index entries, not 11.
    public const string ExceptionKeys = "exception_keys";
    public const string TransactionHashKeys = "transaction_hash_keys";
    public const string OutboxDueKeys = "outbox_due_keys";
    public const string Outbox = "outbox";
    public const string Review = "review";
    public const string Resolution = "resolution";

    public static BsonDocument From(PaymentSnapshot p)
    {
        var parameters = p.Parameters;
        var doc = new BsonDocument
        {
            ["_id"] = p.Id,
            [RequestId] = p.RequestId,
            ["params_hash"] = p.ParametersHash,
            [TerminalId] = parameters.TerminalId,
            ["currency"] = parameters.Money.CurrencyCode,
            ["amount_minor"] = parameters.Money.MinorUnits,
            ["order_ref"] = Text(parameters.OrderRef),
            ["expires_in"] = parameters.ExpiresIn.Ticks,
            ["store_label"] = Text(parameters.StoreLabel),
            ["terminal_label"] = Text(parameters.TerminalLabel),
            ["purpose"] = Text(parameters.PurposeOfTransaction),
            ["pos_bill_number"] = Text(parameters.BillNumber),
            ["bill_number"] = p.BillNumber,
            ["receiving_account"] = p.ReceivingAccount,
            ["merchant_profile_id"] = p.MerchantProfileId,
            ["qr"] = p.Qr,
            [Md5] = p.Md5,
            [CreateTime] = Ticks(p.CreateTime),
            [CreatedKey] = CreatedKeyOf(p.CreateTime, p.Id),
            [ExpireTime] = Ticks(p.ExpireTime),
            [State] = p.State.ToString(),
            [Version] = p.Version,
            ["update_time"] = Ticks(p.UpdateTime),
            ["settle_time"] = Ticks(p.SettleTime),
            [NextCheck] = Ticks(p.NextCheckTime),
            ["check_count"] = p.CheckCount,
            ["last_check_time"] = Ticks(p.LastCheckTime),
            ["reconciliation_count"] = p.ReconciliationCount,
            ["failure_reason"] = Text(p.FailureReason),
            ["transaction"] = p.Transaction is null ? BsonValue.Null : FromTransaction(p.Transaction),
            [Review] = p.Review is null
                ? BsonValue.Null
                : new BsonDocument
                {
                    ["reason"] = p.Review.Reason,
                    ["time"] = Ticks(p.Review.Time),
                    ["transaction"] = FromTransaction(p.Review.Transaction),
                },
            [Resolution] = p.Resolution is null
                ? BsonValue.Null
                : new BsonDocument
                {
                    ["kind"] = p.Resolution.Kind.ToString(),
                    ["refund"] = p.Resolution.Refund is null ? BsonValue.Null : FromTransaction(p.Resolution.Refund),
                    ["resolved_by"] = p.Resolution.ResolvedBy,
                    ["time"] = Ticks(p.Resolution.Time),
                    ["note"] = Text(p.Resolution.Note),
                },
        };

        var events = new BsonArray();
        foreach (var e in p.Events)
        {
            events.Add(new BsonDocument
            {
                ["version"] = e.Version,
                ["time"] = Ticks(e.Time),
                ["type"] = e.Type.ToString(),
                ["state"] = e.State.ToString(),
                ["detail"] = Text(e.Detail),
            });
        }

        doc["events"] = events;
        SetOutbox(doc, p.Outbox);
        WriteIndexKeys(doc);
        doc[ExceptionKeys] = SparseKey(Payment.NeedsPersonOf(p) ? doc[CreatedKey] : null);

        // Lower case: Bakong sends the hash in lower case, a cashier may type either.
        doc[TransactionHashKeys] = SparseKey(p.Transaction?.Hash.ToLowerInvariant());
        return doc;
    }

    /// <summary>
    /// The document of a payment stored before the sparse index keys (<see cref="ExceptionKeys"/> and the others),
    /// written anew from its own fields; null when it has them.
    /// </summary>
    public static BsonDocument? WithIndexKeys(BsonDocument doc) => doc.ContainsKey(ExceptionKeys) ? null : From(ToSnapshot(doc));

    private static BsonArray SparseKey(BsonValue? key) => key is null || key.IsNull ? [] : [key];

    public static PaymentSnapshot ToSnapshot(BsonDocument doc)
    {
        var currency = Money.TryParseCurrency(doc["currency"].AsString, out var c)
            ? c
            : throw new InvalidDataException("Stored payment " + doc["_id"].AsString + " has an unknown currency.");
        var events = new List<PaymentEvent>();
        foreach (var item in doc["events"].AsArray)
        {
            var e = item.AsDocument;
            events.Add(new PaymentEvent(
                e["version"].AsInt64,
                Time(e["time"]),
                Enum.Parse<PaymentEventType>(e["type"].AsString),
                Enum.Parse<PaymentState>(e["state"].AsString),
                NullableText(e["detail"])));
        }

        var review = doc[Review];

        // A payment stored before resolutions existed has no such field: LiteDB reads it as null.
        var resolution = doc[Resolution];
        return new PaymentSnapshot
        {
            Id = doc["_id"].AsString,
            RequestId = doc[RequestId].AsString,
            ParametersHash = doc["params_hash"].AsString,
            Parameters = new PaymentParameters
            {
                TerminalId = doc[TerminalId].AsString,
                Money = Money.FromMinorUnits(currency, doc["amount_minor"].AsInt64),
                OrderRef = NullableText(doc["order_ref"]),
                ExpiresIn = TimeSpan.FromTicks(doc["expires_in"].AsInt64),
                StoreLabel = NullableText(doc["store_label"]),
                TerminalLabel = NullableText(doc["terminal_label"]),

                // Absent from payments stored before this field (read as null, as absent).
                PurposeOfTransaction = NullableText(doc["purpose"]),
                BillNumber = NullableText(doc["pos_bill_number"]),
            },
            BillNumber = doc["bill_number"].AsString,
            ReceivingAccount = doc["receiving_account"].AsString,
            MerchantProfileId = NullableText(doc["merchant_profile_id"]) ?? Payment.DefaultMerchantProfileId,
            Qr = doc["qr"].AsString,
            Md5 = doc[Md5].AsString,
            CreateTime = Time(doc[CreateTime]),
            ExpireTime = Time(doc[PaymentDocument.ExpireTime]),
            State = Enum.Parse<PaymentState>(doc[State].AsString),
            Version = doc[Version].AsInt64,
            UpdateTime = Time(doc["update_time"]),
            SettleTime = NullableTime(doc["settle_time"]),
            NextCheckTime = NullableTime(doc[NextCheck]),
            CheckCount = doc["check_count"].AsInt32,
            LastCheckTime = NullableTime(doc["last_check_time"]),
            ReconciliationCount = doc["reconciliation_count"].AsInt32,
            FailureReason = NullableText(doc["failure_reason"]),
            Transaction = doc["transaction"].IsDocument ? ToTransaction(doc["transaction"].AsDocument) : null,
            Review = review.IsDocument
                ? new PaymentReview(
                    review["reason"].AsString,
                    Time(review["time"]),
                    ToTransaction(review["transaction"].AsDocument))
                : null,
            Resolution = resolution.IsDocument
                ? new PaymentResolution(
                    Enum.Parse<ResolutionKind>(resolution["kind"].AsString),
                    resolution["refund"].IsDocument ? ToTransaction(resolution["refund"].AsDocument) : null,
                    resolution["resolved_by"].AsString,
                    Time(resolution["time"]),
                    NullableText(resolution["note"]))
                : null,
            Events = events,
            Outbox = ReadOutbox(doc),
        };
    }

    public static List<OutboxEntry> ReadOutbox(BsonDocument doc)
    {
        var outbox = new List<OutboxEntry>();
        foreach (var item in doc[Outbox].AsArray)
        {
            var o = item.AsDocument;
            outbox.Add(new OutboxEntry(
                o["event_id"].AsString,
                o["type"].AsString,
                o["version"].AsInt64,
                Enum.Parse<PaymentState>(o["state"].AsString),
                Time(o["create_time"]))
            {
                Attempts = o["attempts"].AsInt32,
                NextAttemptTime = NullableTime(o["next_attempt_time"]),
                DeliveredTime = NullableTime(o["delivered_time"]),
                LastError = NullableText(o["last_error"]),
            });
        }

        return outbox;
    }

    /// <summary>Writes the outbox and its earliest due time as the outbox index's key (<see cref="OutboxDueKeys"/>), so the dispatcher's query is a range scan.</summary>
    public static void SetOutbox(BsonDocument doc, IReadOnlyList<OutboxEntry> outbox)
    {
        var array = new BsonArray();
        DateTimeOffset? due = null;
        foreach (var o in outbox)
        {
            array.Add(new BsonDocument
            {
                ["event_id"] = o.EventId,
                ["type"] = o.Type,
                ["version"] = o.Version,
                ["state"] = o.State.ToString(),
                ["create_time"] = Ticks(o.CreateTime),
                ["attempts"] = o.Attempts,
                ["next_attempt_time"] = Ticks(o.NextAttemptTime),
                ["delivered_time"] = Ticks(o.DeliveredTime),
                ["last_error"] = Text(o.LastError),
            });
            if (o.DueTime is { } d && (due is null || d < due))
            {
                due = d;
            }
        }

        doc[Outbox] = array;
        doc[OutboxDueKeys] = SparseKey(Ticks(due));
    }

    /// <summary>The index keys, from the document's own terminal, state, created key and next check.</summary>
    private static void WriteIndexKeys(BsonDocument doc)
    {
        var terminal = TerminalPrefixOf(doc[TerminalId].AsString);
        var state = StatePrefixOf(doc[State].AsString);
        var created = doc[CreatedKey].AsString;
        doc[ListTerminalKey] = terminal + created;
        doc[ListStateKey] = state + created;
        doc[ListTerminalStateKey] = terminal + state + created;
        doc[DueKey] = doc[NextCheck].IsNumber ? DueKeyAt(terminal, doc[NextCheck].AsInt64) : BsonValue.Null;
    }

    /// <summary>
    /// A terminal id as a key prefix: its length as 3 digits, then the id, so no terminal's prefix starts another's
    /// ("till-1" never matches "till-10").
    /// </summary>
    public static string TerminalPrefixOf(string terminalId) =>
        terminalId.Length.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + terminalId;

    /// <summary>A state as a key prefix: its name and '/'.</summary>
    public static string StatePrefixOf(string state) => state + "/";

    /// <summary>The due key: the terminal's prefix (<see cref="TerminalPrefixOf"/>), ':', and the next check time as 19 digits.</summary>
    public static string DueKeyAt(string terminalPrefix, long nextCheckTicks) =>
        terminalPrefix + ":" + Math.Max(0, nextCheckTicks).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The list order key: creation time, then id, as one string that sorts the same way (ordinal collation).</summary>
    public static string CreatedKeyOf(DateTimeOffset createTime, string id) =>
        createTime.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) + ":" + id;

    public static BsonValue Ticks(DateTimeOffset? time) => time is { } t ? new BsonValue(t.UtcTicks) : BsonValue.Null;

    private static BsonValue Text(string? value) => value is null ? BsonValue.Null : new BsonValue(value);

    private static string? NullableText(BsonValue value) => value.IsString ? value.AsString : null;

    private static DateTimeOffset Time(BsonValue value) => new(value.AsInt64, TimeSpan.Zero);

    private static DateTimeOffset? NullableTime(BsonValue value) => value.IsNumber ? Time(value) : null;

    private static long? NullableLong(BsonValue value) => value.IsNumber ? value.AsInt64 : null;

    private static BsonDocument FromTransaction(BakongTransaction t) => new()
    {
        ["hash"] = t.Hash,
        ["from_account_id"] = Text(t.FromAccountId),
        ["to_account_id"] = Text(t.ToAccountId),
        ["currency"] = t.Currency,
        ["amount"] = t.Amount,
        ["description"] = Text(t.Description),
        ["created_date_ms"] = t.CreatedDateMs is { } c ? new BsonValue(c) : BsonValue.Null,
        ["acknowledged_date_ms"] = t.AcknowledgedDateMs is { } a ? new BsonValue(a) : BsonValue.Null,
        ["tracking_status"] = Text(t.TrackingStatus),
        ["receiver_bank"] = Text(t.ReceiverBank),
        ["receiver_bank_account"] = Text(t.ReceiverBankAccount),
        ["instruction_ref"] = Text(t.InstructionRef),
        ["external_ref"] = Text(t.ExternalRef),
    };

    private static BakongTransaction ToTransaction(BsonDocument d) => new()
    {
        Hash = d["hash"].AsString,
        FromAccountId = NullableText(d["from_account_id"]),
        ToAccountId = NullableText(d["to_account_id"]),
        Currency = d["currency"].AsString,
        Amount = d["amount"].AsDecimal,
        Description = NullableText(d["description"]),
        CreatedDateMs = NullableLong(d["created_date_ms"]),
        AcknowledgedDateMs = NullableLong(d["acknowledged_date_ms"]),
        TrackingStatus = NullableText(d["tracking_status"]),
        ReceiverBank = NullableText(d["receiver_bank"]),
        ReceiverBankAccount = NullableText(d["receiver_bank_account"]),
        InstructionRef = NullableText(d["instruction_ref"]),
        ExternalRef = NullableText(d["external_ref"]),
    };
}
