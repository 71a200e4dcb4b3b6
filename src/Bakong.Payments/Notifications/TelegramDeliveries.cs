using LiteDB;

namespace Bakong.Payments.Notifications;

/// <summary>
/// The sink's own record, per (outbox event id, chat): delivered, given up, or the next attempt. It is what makes a
/// second pass over the same outbox entry (another pass, a restart) send nothing more. A LiteDB file of its own
/// (<c>notifications.db</c> beside <c>Storage:Path</c>), so the payment store's outbox contract is unchanged.
/// </summary>
internal sealed class TelegramDeliveries : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<DeliveryRecord> _records;
    private readonly Lock _lock = new();

    public TelegramDeliveries(string path)
    {
        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _records = _db.GetCollection<DeliveryRecord>("telegram");
    }

    public static string KeyOf(string eventId, string chatId) => eventId + "/" + chatId;

    public DeliveryRecord? Get(string key)
    {
        lock (_lock)
        {
            return _records.FindById(key);
        }
    }

    public void Put(DeliveryRecord record)
    {
        lock (_lock)
        {
            _records.Upsert(record);

            // A delivery mark is what stops a resend after a restart: on disk before the next message goes.
            _db.Checkpoint();
        }
    }

    public void Dispose() => _db.Dispose();
}

/// <summary>One (event, chat) pair's delivery state.</summary>
internal sealed class DeliveryRecord
{
    [BsonId]
    public string Id { get; set; } = "";

    public int Attempts { get; set; }

    public DateTime? NextAttemptUtc { get; set; }

    public DateTime? DeliveredUtc { get; set; }

    /// <summary>Set when the sink stopped trying (a permanent error or too many attempts), with why.</summary>
    public string? GaveUp { get; set; }

    public bool IsDone => DeliveredUtc is not null || GaveUp is not null;
}
