using System.Net;
using System.Net.Sockets;

namespace Bakong.Testing;

public static class FreePort
{
    /// <summary>
    /// A port on 127.0.0.1 that was free a moment ago. A child process's two Kestrel endpoints cannot report which port
    /// each got from port 0 in a way the test can tell apart, so the test picks them; another process could take one in
    /// between, which fails the start loudly rather than silently.
    /// </summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
