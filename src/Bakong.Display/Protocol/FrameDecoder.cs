namespace Bakong.Display.Protocol;

/// <summary>
/// The streaming receiver: fed bytes as they arrive (one at a time or in chunks), it delivers each valid frame and
/// counts each dropped block by <see cref="FrameError"/>. Every 0x00 is a frame boundary, so any garbage costs at most
/// the frame it hit; nothing here throws on input. Fixed buffers, no allocation after construction.
/// </summary>
public sealed class FrameDecoder
{
    private readonly byte[] _encoded = new byte[FrameCodec.MaxEncoded];
    private readonly byte[] _decoded = new byte[FrameCodec.MaxEncoded];
    private readonly long[] _errors = new long[5];
    private int _count;
    private bool _overflowed;

    /// <summary>Frames delivered.</summary>
    public long Frames { get; private set; }

    /// <summary>Blocks dropped, all reasons.</summary>
    public long Errors
    {
        get
        {
            long total = 0;
            foreach (var e in _errors)
            {
                total += e;
            }

            return total;
        }
    }

    /// <summary>Blocks dropped for <paramref name="error"/>.</summary>
    public long ErrorsOf(FrameError error) => _errors[(int)error];

    /// <summary>Feeds one byte; true and the frame when it completed a valid one (the frame's payload is valid until the next call).</summary>
    public bool Push(byte b, out Frame frame)
    {
        frame = default;
        if (b != 0)
        {
            if (_count == _encoded.Length)
            {
                // Too long for any valid frame: discard up to the next delimiter, where it is counted once (a drop is
                // counted when its candidate ends, SPEC.md §4.1, as the C decoder does).
                _overflowed = true;
                return false;
            }

            _encoded[_count++] = b;
            return false;
        }

        var count = _count;
        var overflowed = _overflowed;
        _count = 0;
        _overflowed = false;
        if (count == 0)
        {
            return false; // an empty frame (consecutive delimiters) is not an error
        }

        if (overflowed)
        {
            _errors[(int)FrameError.TooLong]++;
            return false;
        }

        var error = FrameCodec.TryDecode(_encoded.AsSpan(0, count), _decoded, out frame);
        if (error is { } e)
        {
            _errors[(int)e]++;
            return false;
        }

        Frames++;
        return true;
    }

    /// <summary>Forgets a partial frame (after the transport reopened).</summary>
    public void Reset()
    {
        _count = 0;
        _overflowed = false;
    }
}
