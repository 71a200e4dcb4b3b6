namespace Bakong.Display.Emulation;

/// <summary>
/// A stream that loses and damages bytes both ways, as a noisy UART does: each byte is dropped with probability
/// <c>dropRate</c>, or has one bit flipped with probability <c>corruptRate</c>.
/// </summary>
internal sealed class FaultyStream(Stream inner, double dropRate, double corruptRate, Random random) : Stream
{
    private readonly Lock _lock = new();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return 0;
            }

            var kept = Damage(buffer.Span[..n]);
            if (kept > 0)
            {
                return kept;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var copy = buffer.ToArray();
        var kept = Damage(copy);
        await inner.WriteAsync(copy.AsMemory(0, kept), cancellationToken).ConfigureAwait(false);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Drops and flips bytes in place; returns how many are left at the start of <paramref name="data"/>.</summary>
    private int Damage(Span<byte> data)
    {
        lock (_lock)
        {
            var kept = 0;
            foreach (var b in data)
            {
                var roll = random.NextDouble();
                if (roll < dropRate)
                {
                    continue;
                }

                data[kept++] = roll < dropRate + corruptRate ? (byte)(b ^ (1 << random.Next(8))) : b;
            }

            return kept;
        }
    }
}
