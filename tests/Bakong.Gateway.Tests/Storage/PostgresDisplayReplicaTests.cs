using Bakong.Display;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Bakong.Testing.Postgres;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Storage;

/// <summary>
/// Two gateways on one PostgreSQL database, the display on one of them (the counter's): the display follows the
/// payments of its terminal whichever replica creates and settles them. The display is the emulator's device logic on
/// a real pseudo-terminal, as in <c>DisplayEndToEndTests</c>.
/// </summary>
public sealed class PostgresDisplayReplicaTests(PostgresCluster cluster) : IDisposable
{
    private const string Terminal = "till-1";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("bakong-display-replica-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_display_on_one_replica_shows_the_qr_and_paid_of_a_payment_another_replica_creates_and_settles()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }

        cluster.SkipIfUnavailable();
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var pty = PseudoTerminal.Open();
        var port = Path.Combine(_directory, "ttyPOS");
        File.CreateSymbolicLink(port, pty.SlavePath);
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        var device = emulator.RunAsync(pty.Master, Ct);

        await using var counter = OnPostgres(
            new GatewayFactory
            {
                ConfigureHost = builder =>
                {
                    builder.UseSetting("Displays:0:TerminalId", Terminal);
                    builder.UseSetting("Displays:0:PortName", port);
                    builder.ConfigureTestServices(services => services.AddSingleton(new DisplayClock(TimeProvider.System)));
                },
            },
            database);
        _ = counter.Services; // start it: the display service opens the port
        await using var other = OnPostgres(new GatewayFactory(), database);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_timeout, Ct);

        // Created, checked, paid and settled on the other replica: nothing on the counter's saves it.
        var created = await other.CreateAsync(Requests.Create("display-elsewhere", terminal: Terminal));
        var qr = await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Qr && s.PaymentId == created.PaymentId, s_timeout, Ct);
        Assert.Equal(created.Khqr, qr.Qr);
        await other.WaitForFirstCheckAsync(created.PaymentId);
        await other.PayAsync(created.Khqr);
        other.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await emulator.WaitForScreenAsync(
            s => s is { Kind: DisplayScreenKind.Status, Status: DisplayStatus.Paid } && s.PaymentId == created.PaymentId, s_timeout, Ct);
    }

    private GatewayFactory OnPostgres(GatewayFactory gateway, string database)
    {
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = database;
        return gateway;
    }
}
