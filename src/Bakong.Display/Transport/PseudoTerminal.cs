using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Bakong.Display.Transport;

/// <summary>
/// A Linux pseudo-terminal pair made with libc <c>openpty</c>, in raw mode (<c>cfmakeraw</c>): the emulator speaks as the
/// device on the master side, and the gateway opens <see cref="SlavePath"/> with System.IO.Ports as if it were a USB
/// display. Disposing it closes both sides, which the gateway sees as an unplug (a hang-up on its port). No socat needed.
/// </summary>
/// <remarks>
/// The slave descriptor stays open here too, so the master never reads EIO while the gateway has the port closed; the
/// line discipline buffers what the device sends meanwhile (the gateway discards it after opening).
/// </remarks>
public sealed partial class PseudoTerminal : IDisposable
{
    private const string Libc = "libc.so.6";
    private readonly int _slave;
    private bool _disposed;

    private PseudoTerminal(int master, int slave, string slavePath)
    {
        _slave = slave;
        SlavePath = slavePath;
        Master = new PtyStream(master);
    }

    /// <summary>The path a serial client opens, e.g. <c>/dev/pts/3</c>.</summary>
    public string SlavePath { get; }

    /// <summary>The device's side: what it writes, the client reads from <see cref="SlavePath"/>, and back.</summary>
    public Stream Master { get; }

    /// <summary>Whether this platform has openpty (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    public static unsafe PseudoTerminal Open()
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Pseudo-terminals need Linux (openpty).");
        }

        if (OpenPty(out var master, out var slave, 0, 0, 0) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "openpty failed");
        }

        try
        {
            // struct termios is 60 bytes on glibc; room to spare.
            var termios = stackalloc byte[256];
            if (TcGetAttr(slave, termios) != 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "tcgetattr failed");
            }

            CfMakeRaw(termios);
            if (TcSetAttr(slave, 0 /* TCSANOW */, termios) != 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "tcsetattr failed");
            }

            var path = new FileInfo("/proc/self/fd/" + slave.ToString(System.Globalization.CultureInfo.InvariantCulture)).LinkTarget
                ?? throw new IOException("The pseudo-terminal has no name");
            return new PseudoTerminal(master, slave, path);
        }
        catch
        {
            _ = NativeClose(master);
            _ = NativeClose(slave);
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Master.Dispose();
        _ = NativeClose(_slave);
    }

    [LibraryImport(Libc, EntryPoint = "openpty", SetLastError = true)]
    private static partial int OpenPty(out int master, out int slave, nint name, nint termios, nint winsize);

    [LibraryImport(Libc, EntryPoint = "tcgetattr", SetLastError = true)]
    private static unsafe partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport(Libc, EntryPoint = "tcsetattr", SetLastError = true)]
    private static unsafe partial int TcSetAttr(int fd, int actions, byte* termios);

    [LibraryImport(Libc, EntryPoint = "cfmakeraw")]
    private static unsafe partial void CfMakeRaw(byte* termios);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint NativeRead(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint NativeWrite(int fd, byte* buffer, nuint count);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>
    /// The master descriptor as a stream. Reads poll in 50 ms slices so a cancellation or a dispose is noticed (a
    /// blocking read on a descriptor cannot be interrupted by closing it); a write nobody drains for 200 ms is dropped,
    /// as a UART with nothing attached drops bytes.
    /// </summary>
    private sealed class PtyStream(int fd) : Stream
    {
        private const short PollIn = 0x001;
        private const short PollOut = 0x004;
        private const int Slice = 50;
        private volatile bool _closed;
        private int _readers;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Task.Run(() => ReadBlocking(buffer, cancellationToken), cancellationToken));

        public override int Read(byte[] buffer, int offset, int count) => ReadBlocking(buffer.AsMemory(offset, count), CancellationToken.None);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteBlocking(buffer.Span, cancellationToken);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteBlocking(buffer.AsSpan(offset, count), CancellationToken.None);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_closed)
            {
                _closed = true;

                // A reader notices _closed within one poll slice; close after it left, so its fd is never reused under it.
                var spin = new SpinWait();
                while (Volatile.Read(ref _readers) > 0)
                {
                    spin.SpinOnce();
                }

                _ = NativeClose(fd);
            }

            base.Dispose(disposing);
        }

        private unsafe int ReadBlocking(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _readers);
            try
            {
                while (true)
                {
                    ObjectDisposedException.ThrowIf(_closed, this);
                    cancellationToken.ThrowIfCancellationRequested();
                    var p = new PollFd { Fd = fd, Events = PollIn };
                    var ready = Poll(&p, 1, Slice);
                    if (ready < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == 4 /* EINTR */)
                        {
                            continue;
                        }

                        throw new IOException("poll failed: errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    if (ready == 0 || (p.Revents & PollIn) == 0)
                    {
                        continue;
                    }

                    using var pin = buffer.Pin();
                    var n = NativeRead(fd, (byte*)pin.Pointer, (nuint)buffer.Length);
                    if (n < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno is 4 or 11 /* EINTR, EAGAIN */)
                        {
                            continue;
                        }

                        throw new IOException("read failed: errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    return (int)n;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _readers);
            }
        }

        private unsafe void WriteBlocking(ReadOnlySpan<byte> data, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            fixed (byte* start = data)
            {
                var offset = 0;
                var waited = 0;
                while (offset < data.Length)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var p = new PollFd { Fd = fd, Events = PollOut };
                    if (Poll(&p, 1, Slice) <= 0 || (p.Revents & PollOut) == 0)
                    {
                        waited += Slice;
                        if (waited >= 200)
                        {
                            return; // nobody is reading: the bytes are lost, as on a real wire
                        }

                        continue;
                    }

                    var n = NativeWrite(fd, start + offset, (nuint)(data.Length - offset));
                    if (n < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno is 4 or 11)
                        {
                            continue;
                        }

                        throw new IOException("write failed: errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    offset += (int)n;
                }
            }
        }
    }
}
