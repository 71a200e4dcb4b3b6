using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// The real gateway (<c>dotnet Bakong.Gateway.dll</c>, as built next to this test) in Sandbox mode on two free
/// loopback ports, with its own temp data directory. It can be stopped (SIGTERM, as a service manager does) and
/// started again on the same ports and data, like a gateway restart in a shop.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    /// <summary>How long the gateway may take to start or stop before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private GatewayProcess(int grpcPort, int webPort, string dataDirectory, IReadOnlyDictionary<string, string> settings)
    {
        GrpcUrl = new Uri("http://127.0.0.1:" + grpcPort);
        WebUrl = new Uri("http://127.0.0.1:" + webPort);
        DataDirectory = dataDirectory;
        _settings = new Dictionary<string, string>(settings)
        {
            ["Kestrel__Endpoints__Grpc__Url"] = GrpcUrl.ToString().TrimEnd('/'),
            ["Kestrel__Endpoints__Web__Url"] = WebUrl.ToString().TrimEnd('/'),
            ["Storage__Path"] = Path.Combine(dataDirectory, "bakong.db"),
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["ASPNETCORE_URLS"] = "",
        };
    }

    public Uri GrpcUrl { get; }

    public Uri WebUrl { get; }

    public string DataDirectory { get; }

    /// <summary>What the gateway printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a gateway on two free ports (tried again on new ones if another process took one meanwhile).</summary>
    /// <param name="settings">Extra configuration as environment variables, e.g. <c>Polling__ExpiryGrace</c>.</param>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, CancellationToken cancellationToken = default)
    {
        var data = Path.Combine(Path.GetTempPath(), "bakong-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        for (var attempt = 1; ; attempt++)
        {
            var gateway = new GatewayProcess(FreePort(), FreePort(), data, settings ?? new Dictionary<string, string>());
            try
            {
                await gateway.StartAgainAsync(cancellationToken);
                return gateway;
            }
            catch (InvalidOperationException) when (attempt < 3 && gateway.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await gateway.StopAsync();
            }
        }
    }

    /// <summary>Starts the process (again) on the same ports and data; returns once it says it has started.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var bin = GatewayBinDirectory();
        var start = new ProcessStartInfo(DotnetHost(), [Path.Combine(bin, "Bakong.Gateway.dll")])
        {
            WorkingDirectory = bin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _settings)
        {
            start.Environment[key] = value;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Collect(e.Data, started);
        process.ErrorDataReceived += (_, e) => Collect(e.Data, started);
        process.Exited += (_, _) => started.TrySetException(new InvalidOperationException("The gateway exited while starting:\n" + Output));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await started.Task.WaitAsync(Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("The gateway did not start within " + Timeout + ":\n" + Output);
        }
    }

    /// <summary>Stops the process as a service manager does (SIGTERM) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held is left to the OS's temp cleaning; the test's outcome does not depend on it.
        }
    }

    private void Collect(string? line, TaskCompletionSource started)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The dotnet host running this test (set by <c>dotnet test</c>), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary><c>src/Bakong.Gateway/bin/&lt;this test's configuration&gt;/net10.0</c>, built by the project reference.</summary>
    private static string GatewayBinDirectory()
    {
        var configuration = typeof(GatewayProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Bakong.Grpc.sln")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
        var bin = Path.Combine(root, "src", "Bakong.Gateway", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(bin, "Bakong.Gateway.dll"))
            ? bin
            : throw new InvalidOperationException("Build the gateway first: " + Path.Combine(bin, "Bakong.Gateway.dll") + " is missing.");
    }
}
