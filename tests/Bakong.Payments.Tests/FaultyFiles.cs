using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests;

/// <summary>The store's files, with a switch that makes every write fail as on a full disk, and a hook on the log's fsync.</summary>
internal sealed class FaultyFiles
{
    public volatile bool Full;

    public Action? BeforeLogFlush { get; set; }

    public Stream Open(string path) => new FaultyStream(SyncedFileStream.Open(path), this, path.EndsWith("-log.db", StringComparison.Ordinal));

    private sealed class FaultyStream(Stream inner, FaultyFiles files, bool isLog) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush()
        {
            if (isLog)
            {
                files.BeforeLogFlush?.Invoke();
            }

            inner.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (files.Full)
            {
                throw new IOException("No space left on device : '" + (isLog ? "bakong-log.db" : "bakong.db") + "'");
            }

            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
