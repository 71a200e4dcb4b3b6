using Bakong.OpenApi.Storage;
using LiteDB;

namespace Bakong.Payments.Notifications;

/// <summary>
/// The sink's own record, per (outbox event id, chat): delivered, given up, or the next attempt. It is what makes a
/// second pass over the same outbox entry (another pass, a restart) send nothing more. A LiteDB file of its own
/// (<c>notifications.db</c> beside <c>Storage:Path</c>), so the payment store's outbox contract is unchanged. Opened
/// on first use, so a gateway with announcements off never creates it; owner-only (0600) like the data directory's
/// other stores.
/// </summary>
internal sealed class TelegramDeliveries(string path) : IDisposable
{
    private readonly Lock _lock = new();
    private LiteDatabase? _db;
    private ILiteCollection<DeliveryRecord>? _records;

    public static string KeyOf(string eventId, string chatId) => eventId + "/" + chatId;

    public DeliveryRecord? Get(string key)
    {
        lock (_lock)
        {
            return Records().FindById(key);
        }
    }

    public void Put(DeliveryRecord record)
    {
        lock (_lock)
        {
            Records().Upsert(record);

            // A delivery mark is what stops a resend after a restart: on disk before the next message goes.
            _db!.Checkpoint();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _db?.Dispose();
        }
    }

    private ILiteCollection<DeliveryRecord> Records()
    {
        if (_records is null)
        {
            PrivateFiles.CreateDirectoryFor(path);
            PrivateFiles.PrepareLiteDb(path);
            _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
            PrivateFiles.Restrict(path);
            _records = _db.GetCollection<DeliveryRecord>("telegram");
        }

        return _records;
    }
}

/// <summary>One (event, chat) pair's delivery state.</summary>
/// <remarks>
/// Times are Unix milliseconds, not <see cref="DateTime"/>: LiteDB reads a stored DateTime back in the machine's local
/// time, and a gateway in Phnom Penh (UTC+7) then failed every pass on a local time given as UTC.
/// </remarks>
internal sealed class DeliveryRecord
{
    [BsonId]
    public string Id { get; set; } = "";

    public int Attempts { get; set; }

    public long? NextAttemptMs { get; set; }

    public long? DeliveredMs { get; set; }

    /// <summary>Set when the sink stopped trying (a permanent error or too many attempts), with why.</summary>
    public string? GaveUp { get; set; }

    [BsonIgnore]
    public bool IsDone => DeliveredMs is not null || GaveUp is not null;

    [BsonIgnore]
    public DateTimeOffset? NextAttempt
    {
        get => NextAttemptMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        set => NextAttemptMs = value?.ToUnixTimeMilliseconds();
    }

    [BsonIgnore]
    public DateTimeOffset? Delivered
    {
        get => DeliveredMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        set => DeliveredMs = value?.ToUnixTimeMilliseconds();
    }
}
