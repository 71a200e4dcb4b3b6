using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Bakong.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster for one test process, as an xunit assembly fixture: <c>initdb</c> into a folder under
/// the temp path, the server on a free loopback port with its unix socket in that folder and <c>fsync</c> on (what
/// the tests assert about durability is then what production gets), started once when the first test that takes
/// it runs, stopped and deleted at the end. <see cref="CreateDatabaseAsync"/> gives each test a fresh database.
/// </summary>
/// <remarks>
/// <para>
/// The binaries: <c>BAKONG_PG_BIN</c>, else the newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c> (Debian's
/// <c>postgresql</c> package). Without them <see cref="Unavailable"/> says why and <see cref="SkipIfUnavailable"/>
/// skips the test with that reason, visibly, unless <c>BAKONG_REQUIRE_POSTGRES=1</c> (as <c>.ci/run</c> sets), when
/// a missing or broken cluster fails every test that needs it.
/// </para>
/// <para>
/// PostgreSQL refuses to run as root. Run as root (a CI container), the cluster's folder is given to the
/// <c>postgres</c> user (the package's; else <c>nobody</c>) and <c>initdb</c>, <c>postgres</c> and <c>pg_ctl</c> run
/// as that user through <c>setpriv</c>, which execs in place: the process this fixture starts is the postmaster.
/// </para>
/// </remarks>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string Superuser = "bakong";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(90);

    private readonly ConcurrentQueue<string> _serverLog = new();
    private readonly string? _bin = FindBinaries();
    private string? _directory;
    private Process? _server;
    private string[] _runAs = [];
    private int _port;
    private int _databases;

    /// <summary>Why there is no cluster (the binaries are missing, or it would not start); null when it runs.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Skips the calling test, with the reason, when there is no cluster (fails it if one is required).</summary>
    public void SkipIfUnavailable()
    {
        if (Unavailable is { } why)
        {
            if (Environment.GetEnvironmentVariable("BAKONG_REQUIRE_POSTGRES") == "1")
            {
                Assert.Fail("BAKONG_REQUIRE_POSTGRES=1 and " + why);
            }

            Assert.Skip(why);
        }
    }

    /// <summary>A new, empty database on the cluster; its connection string (no password: the cluster trusts loopback).</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        SkipIfUnavailable();
        var name = "test_" + Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync(cancellationToken);

            // The name is ours (digits and hex): no quoting concern.
            await using var create = new NpgsqlCommand("CREATE DATABASE " + name, admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return ConnectionString(name);
    }

    public async ValueTask InitializeAsync()
    {
        if (_bin is null)
        {
            Unavailable = "the PostgreSQL server binaries are not installed (apt-get install postgresql, or set BAKONG_PG_BIN to their folder)";
            return;
        }

        try
        {
            await StartAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            Unavailable = "the throwaway PostgreSQL cluster did not start: " + e.Message;
            await DisposeAsync();
        }
    }

    /// <summary>
    /// Stops the server (a fast shutdown: its connections end, as in a PostgreSQL restart) and keeps its data and port,
    /// for a test of what clients see while PostgreSQL is down; <see cref="StartAgainAsync"/> brings it back. Use a
    /// cluster of the test's own (<c>new PostgresCluster()</c>, <see cref="InitializeAsync"/>), never the assembly
    /// fixture: other tests run on that one meanwhile.
    /// </summary>
    public async Task StopAsync()
    {
        SkipIfUnavailable();
        await StopServerAsync();
    }

    /// <summary>Starts the server <see cref="StopAsync"/> stopped, on the same data and port; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        SkipIfUnavailable();
        if (_server is not null)
        {
            throw new InvalidOperationException("The cluster is running.");
        }

        await LaunchAsync(samePort: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();

        if (_directory is { } directory)
        {
            _directory = null;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temp folder left behind is no harm.
            }
        }
    }

    private async Task StopServerAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            if (!server.HasExited)
            {
                // A fast shutdown (SIGINT to the postmaster): it ends its connections and checkpoints.
                using var stop = Start(Path.Combine(_bin!, "pg_ctl"), "stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60");
                await stop.WaitForExitAsync();
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                }

                await server.WaitForExitAsync();
            }

            server.Dispose();
        }
    }

    private string DataDirectory => Path.Combine(_directory!, "data");

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = Superuser,
        Database = database,
        MaxPoolSize = 20,
        Timeout = 30,
    }.ConnectionString;

    private async Task StartAsync()
    {
        _directory = Directory.CreateTempSubdirectory("bakong-pg-").FullName;
        if (Environment.UserName == "root")
        {
            var user = UserExists("postgres") ? "postgres" : "nobody";
            _runAs = ["setpriv", "--reuid=" + user, "--regid=" + GroupOf(user), "--clear-groups", "--"];
            await RunAsync(asRoot: true, "chown", user, _directory);
        }

        await RunAsync(asRoot: false, Path.Combine(_bin!, "initdb"), "-D", DataDirectory, "-U", Superuser, "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync");
        await LaunchAsync(samePort: false);
    }

    /// <summary>Starts the postmaster on a free port (or, again, on the one it had) and waits until it accepts connections.</summary>
    private async Task LaunchAsync(bool samePort)
    {
        _serverLog.Clear();
        for (var attempt = 1; ; attempt++)
        {
            if (!samePort)
            {
                _port = FreePort();
            }

            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = Start(
                Path.Combine(_bin!, "postgres"),
                "-D", DataDirectory, "-p", _port.ToString(CultureInfo.InvariantCulture), "-k", _directory!,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200",
                "-c", "shared_buffers=64MB", "-c", "logging_collector=off");
            server.EnableRaisingEvents = true;
            server.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    _serverLog.Enqueue(line);
                    while (_serverLog.Count > 50 && _serverLog.TryDequeue(out string? _))
                    {
                    }

                    if (line.Contains("database system is ready to accept connections", StringComparison.Ordinal))
                    {
                        ready.TrySetResult();
                    }
                }
            };
            server.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("postgres exited: " + string.Join(" | ", _serverLog)));
            server.BeginErrorReadLine();
            server.BeginOutputReadLine();
            _server = server;
            try
            {
                await ready.Task.WaitAsync(s_startTimeout);
                return;
            }
            catch (InvalidOperationException) when (!samePort && attempt < 3 && _serverLog.Any(l => l.Contains("could not bind", StringComparison.Ordinal)))
            {
                // Someone took the port between our probe and the bind: another one.
                _server = null;
                server.Dispose();
            }
        }
    }

    /// <summary>Starts <paramref name="file"/> as the cluster's user (see <see cref="PostgresCluster"/>).</summary>
    private Process Start(string file, params string[] arguments) => Start(_runAs, file, arguments);

    private Process Start(string[] runAs, string file, string[] arguments)
    {
        var info = new ProcessStartInfo
        {
            FileName = runAs.Length > 0 ? runAs[0] : file,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in runAs.Skip(1).Concat(runAs.Length > 0 ? [file] : []).Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException(file + " did not start");
    }

    /// <summary>Runs a command to its end; as the cluster's user unless <paramref name="asRoot"/>.</summary>
    private async Task RunAsync(bool asRoot, string file, params string[] arguments)
    {
        using var process = Start(asRoot ? [] : _runAs, file, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
        }
    }

    private static bool UserExists(string user) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    /// <summary>The user's primary group id, from /etc/passwd.</summary>
    private static string GroupOf(string user) =>
        File.ReadLines("/etc/passwd").First(l => l.StartsWith(user + ":", StringComparison.Ordinal)).Split(':')[3];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("BAKONG_PG_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "postgres")) ? configured : null;
        }

        const string Root = "/usr/lib/postgresql";
        if (!Directory.Exists(Root))
        {
            return null;
        }

        return Directory.GetDirectories(Root)
            .Select(d => (Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1, Bin: Path.Combine(d, "bin")))
            .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Bin, "postgres")) && File.Exists(Path.Combine(d.Bin, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Bin)
            .FirstOrDefault();
    }
}
