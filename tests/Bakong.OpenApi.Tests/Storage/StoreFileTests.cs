using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tests.Tokens;

namespace Bakong.OpenApi.Tests.Storage;

/// <summary>How every store opens its file: under its lock, and a store that did not open holds nothing.</summary>
public sealed class StoreFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_database_the_engine_refuses_to_ready_is_disposed_its_lock_released_and_the_failure_names_the_store_and_file()
    {
        var path = _directory.File("sub/store.db");
        var database = new Probe();

        var e = Assert.Throws<StoreException>(() => StoreFile.Open(path, "test store", () => database, _ => throw new InvalidDataException("not a database")));

        Assert.Equal($"The test store '{path}' cannot be used: not a database", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
        Assert.True(database.Disposed);
        StoreLock.Acquire(path, "test store").Dispose(); // free again
    }

    [Fact]
    public void A_file_system_failure_keeps_its_type_and_the_lock_is_released()
    {
        var path = _directory.File("store.db");

        Assert.Throws<IOException>(() => StoreFile.Open<Probe>(path, "test store", () => throw new IOException("disk gone")));

        StoreLock.Acquire(path, "test store").Dispose();
    }

    [Fact]
    public void An_opened_store_holds_its_lock_until_it_is_disposed()
    {
        var path = _directory.File("store.db");

        var (storeLock, database) = StoreFile.Open(path, "test store", () => new Probe());

        Assert.Throws<StoreLockedException>(() => StoreLock.Acquire(path, "test store"));
        database.Dispose();
        storeLock.Dispose();
        StoreLock.Acquire(path, "test store").Dispose();
    }

    [Fact]
    public void A_call_into_the_engine_fails_as_the_stores_exception_but_a_closed_store_stays_object_disposed()
    {
        Assert.Throws<StoreException>(() => StoreFile.Use<int>("/x.db", "test store", () => throw new InvalidOperationException("engine")));
        Assert.Throws<ObjectDisposedException>(() => StoreFile.Use<int>("/x.db", "test store", () => throw new ObjectDisposedException("store")));
    }

    private sealed class Probe : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
