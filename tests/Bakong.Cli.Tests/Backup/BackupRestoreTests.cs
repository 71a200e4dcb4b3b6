extern alias testing;

using System.IO.Compression;
using System.Text.Json;
using Bakong.Cli.Tests.Payments;
using Bakong.OpenApi.Storage;
using Bakong.Payments;
using Bakong.Payments.Storage;
using testing::Bakong.Gateway.Tests;
using testing::Bakong.Gateway.Tests.Support;

namespace Bakong.Cli.Tests.Backup;

/// <summary>
/// <c>bakong backup</c> and <c>bakong restore</c>: through a running gateway (in process) while it takes payments, and
/// on the data directory of a stopped one; what a restore refuses, and that it never half restores.
/// </summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("bakong-backup-test-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_backup_under_load_restores_every_payment_it_counts_exactly_as_the_gateway_had_stored_it()
    {
        await using var gateway = new CliGateway();
        var host = gateway.Host;
        await host.CreatePaidAsync("paid-before");
        for (var i = 0; i < 20; i++)
        {
            await host.CreateAsync(Requests.Create("before-" + i));
        }

        var acknowledged = host.Store.Writes.Where(w => w.Kind == StoreWriteKind.Inserted).Select(w => w.PaymentId).ToHashSet();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var load = Enumerable.Range(0, 3).Select(creator => CreateUntilAsync(host, creator, stop.Token)).Append(PollUntilAsync(host, stop.Token)).ToArray();

        // Under way: more payments created, checked and paid while the backup is taken.
        await host.Store.WaitForAsync(w => w.Kind == StoreWriteKind.Inserted && w.PaymentId is not null, skip: 40);
        var file = Path.Combine(_work, "backup.zip");
        // --data: the gateway's own directory; the default one may hold another (stopped) gateway's stores, which would be copied instead.
        var backup = await gateway.RunAsync("backup", "--out", file, "--data", gateway.DataDirectory);
        await host.Store.WaitForAsync(_ => true, skip: host.Store.Writes.Count + 20);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var restored = Path.Combine(_work, "restored");
        var restore = await Cli.RunAsync("restore", file, "--data", restored);

        Assert.Equal((0, ""), (backup.ExitCode, backup.Error));
        Assert.Equal((0, ""), (restore.ExitCode, restore.Error));
        var manifest = BackupArchive.Verify(file);
        var payments = ReadAll(Path.Combine(restored, BakongDataDirectory.PaymentsFileName));
        Assert.Equal(manifest.Documents(BackupCatalog.Payments, "payments"), payments.Count);
        Assert.Superset(acknowledged, payments.Select(p => p.Id).ToHashSet());
        Assert.Contains(payments, p => p.State == PaymentState.Paid);
        var written = host.Store.Writes.Where(w => w.Payment is not null).ToLookup(w => (w.PaymentId, w.Payment!.Version), w => Json(w.Payment!));
        Assert.All(payments, p => Assert.Contains(Json(p), written[(p.Id, p.Version)]));
        Assert.Equal(["audit", "payments", "tokens"], manifest.Stores.Select(s => s.Name).Order());
        Assert.True(File.Exists(Path.Combine(restored, BakongDataDirectory.TokensFileName + ".key")));
    }

    [Fact]
    public async Task An_explicit_server_is_asked_even_when_the_data_directory_holds_another_gateways_stopped_stores()
    {
        string stopped;
        await using (var other = new CliGateway())
        {
            other.Host.KeepStorage = true;
            await other.Host.CreatePaidAsync("other-1");
            stopped = other.DataDirectory;
        }

        try
        {
            await using var running = new CliGateway();
            await running.Host.CreatePaidAsync("running-1");
            var file = Path.Combine(_work, "explicit-server.zip");

            var backup = await running.RunAsync("backup", "--out", file, "--data", stopped); // RunAsync adds --server

            Assert.True(backup.ExitCode == 0, backup.Error);
            Assert.Contains(" from the gateway at ", backup.OutputLines[0], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(stopped, recursive: true);
        }
    }

    [Fact]
    public async Task Offline_a_stopped_gateways_directory_is_backed_up_and_a_gateway_started_on_the_restored_copy_serves_its_payments()
    {
        string data;
        string paymentId;
        await using (var gateway = new CliGateway())
        {
            gateway.Host.KeepStorage = true;
            paymentId = (await gateway.Host.CreatePaidAsync("offline-1")).PaymentId;
            data = gateway.DataDirectory;
        }

        var file = Path.Combine(_work, "offline.zip");
        var backup = await Cli.RunAsync("backup", "--out", file, "--data", data);
        var restored = Path.Combine(_work, "restored");
        var restore = await Cli.RunAsync("restore", file, "--data", restored);
        Directory.Delete(data, recursive: true);

        await using var again = new GatewayFactory(restored, GatewayFactory.Start);
        var payment = await again.GetAsync(paymentId);

        Assert.Equal(0, backup.ExitCode);
        Assert.Contains("from " + data, backup.Output, StringComparison.Ordinal);
        Assert.Contains("Data of    Sandbox, merchant account", backup.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (restore.ExitCode, restore.Error));
        Assert.Equal(testing::Bakong.Grpc.Payments.V1.Payment.Types.State.Paid, payment.State);
    }

    [Fact]
    public async Task A_payment_file_renamed_by_Storage_Path_is_backed_up_and_restored_under_the_name_the_gateway_looks_for()
    {
        string data;
        string paymentId;
        var online = Path.Combine(_work, "online.zip");
        CliRun onlineBackup;
        await using (var gateway = new CliGateway())
        {
            gateway.Host.KeepStorage = true;
            gateway.Settings["Storage:Path"] = Path.Combine(gateway.DataDirectory, "payments.db");
            paymentId = (await gateway.Host.CreateAsync(Requests.Create("renamed-1"))).PaymentId;
            data = gateway.DataDirectory;
            onlineBackup = await gateway.RunAsync("backup", "--out", online, "--data", data);
        }

        var offline = Path.Combine(_work, "offline.zip");
        var offlineBackup = await Cli.RunAsync("backup", "--out", offline, "--data", data);
        Directory.Delete(data, recursive: true);

        // Into a new directory: the name the backed-up gateway used. With --storage-path: the name given.
        var restored = Path.Combine(_work, "restored");
        var restore = await Cli.RunAsync("restore", online, "--data", restored);
        var elsewhere = Path.Combine(_work, "elsewhere", "shop.db");
        var restoreByPath = await Cli.RunAsync("restore", offline, "--storage-path", elsewhere);

        await using var again = new GatewayFactory(restored, GatewayFactory.Start) { Settings = { ["Storage:Path"] = Path.Combine(restored, "payments.db") } };
        var payment = await again.GetAsync(paymentId);

        Assert.Equal((0, ""), (onlineBackup.ExitCode, onlineBackup.Error));
        Assert.Equal((0, ""), (offlineBackup.ExitCode, offlineBackup.Error));
        Assert.Equal(1, BackupArchive.Verify(offline).Documents(BackupCatalog.Payments, "payments"));
        Assert.Equal((0, ""), (restore.ExitCode, restore.Error));
        Assert.Contains("Payments   " + Path.Combine(restored, "payments.db"), restore.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(restored, BakongDataDirectory.PaymentsFileName)));
        Assert.Equal(testing::Bakong.Grpc.Payments.V1.Payment.Types.State.Pending, payment.State);
        Assert.Equal((0, ""), (restoreByPath.ExitCode, restoreByPath.Error));
        Assert.Single(ReadAll(elsewhere));
        Assert.Equal("shop.db", GatewayIdentity.Read(Path.GetDirectoryName(elsewhere)!)!.PaymentsFile);
    }

    [Fact]
    public async Task Restore_refuses_a_backup_of_another_environment_without_force_and_replaces_the_directory_with_force_keeping_the_old_one()
    {
        var (file, _) = await StoppedBackupAsync();
        var target = Path.Combine(_work, "production");
        Directory.CreateDirectory(target);
        new GatewayIdentity("Production", "shop@abaa").Write(target);
        await File.WriteAllTextAsync(Path.Combine(target, "bakong.db"), "the production data", Ct);

        var refused = await Cli.RunAsync("restore", file, "--data", target);
        var unchanged = await File.ReadAllTextAsync(Path.Combine(target, "bakong.db"), Ct);
        var forced = await Cli.RunAsync("restore", file, "--data", target, "--force");

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("Not restored: the backup holds the data of environment Sandbox, not Production", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("the production data", unchanged);
        Assert.Equal((0, ""), (forced.ExitCode, forced.Error));
        Assert.Equal("Sandbox", GatewayIdentity.Read(target)!.Environment);
        var previous = Assert.Single(Directory.GetDirectories(_work, "production.before-restore-*"));
        Assert.Equal("the production data", await File.ReadAllTextAsync(Path.Combine(previous, "bakong.db"), Ct));
        Assert.Contains("The previous data is in " + previous, forced.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_backup_is_refused_before_anything_is_touched()
    {
        var (file, _) = await StoppedBackupAsync();
        var damaged = Path.Combine(_work, "damaged.zip");
        using (var source = ZipFile.OpenRead(file))
        using (var copy = ZipFile.Open(damaged, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var to = copy.CreateEntry(entry.FullName).Open();
                var bytes = new MemoryStream();
                from.CopyTo(bytes);
                var content = bytes.ToArray();
                if (entry.FullName == BakongDataDirectory.PaymentsFileName)
                {
                    content[content.Length / 2] ^= 0xFF;
                }

                to.Write(content);
            }
        }

        var target = Path.Combine(_work, "target");
        var refused = await Cli.RunAsync("restore", damaged, "--data", target);
        var notZip = Path.Combine(_work, "not.zip");
        await File.WriteAllTextAsync(notZip, "not a backup", Ct);
        var alsoRefused = await Cli.RunAsync("restore", notZip, "--data", target);

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("Not restored: The backup is damaged: bakong.db does not match its manifest (SHA-256 or size differ).", Assert.Single(refused.ErrorLines));
        Assert.Equal(1, alsoRefused.ExitCode);
        Assert.StartsWith("Not restored: '" + notZip + "' is not a backup", Assert.Single(alsoRefused.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.GetDirectories(_work, ".target.restore-*"));
    }

    [Fact]
    public async Task Restore_into_the_directory_of_a_running_gateway_is_refused()
    {
        var (file, _) = await StoppedBackupAsync();
        await using var gateway = new CliGateway();
        await gateway.Host.CreateAsync(Requests.Create("running-1"));

        var refused = await Cli.RunAsync("restore", file, "--data", gateway.DataDirectory, "--force");

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("Not restored: stop the gateway first. The payments store '", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.NotNull(await gateway.Host.GetAsync((await gateway.Host.CreateAsync(Requests.Create("running-2"))).PaymentId));
    }

    [Fact]
    public async Task Through_a_gateway_with_keys_a_backup_needs_an_operator_key()
    {
        await using var gateway = new CliGateway();
        var data = gateway.DataDirectory;
        var operatorKey = await KeyAsync(data, "--role", "operator");
        var terminalKey = await KeyAsync(data, "--terminal", "POS-01");
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        _ = gateway.Server;

        var anonymous = await gateway.RunAsync("backup", "--out", Path.Combine(_work, "a.zip"), "--data", data);
        var terminal = await gateway.RunAsync("backup", "--out", Path.Combine(_work, "t.zip"), "--data", data, "--key", terminalKey);
        var operatorRun = await gateway.RunAsync("backup", "--out", Path.Combine(_work, "o.zip"), "--data", data, "--key", operatorKey);

        Assert.Equal(1, anonymous.ExitCode);
        Assert.StartsWith("UNAUTHENTICATED: ", Assert.Single(anonymous.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, terminal.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(terminal.ErrorLines), StringComparison.Ordinal);
        Assert.Equal((0, ""), (operatorRun.ExitCode, operatorRun.Error));
        Assert.Contains("from the gateway at ", operatorRun.Output, StringComparison.Ordinal);
        Assert.Equal(["o.zip"], Directory.GetFiles(_work, "*.zip").Select(Path.GetFileName).ToArray());
        Assert.Equal(2, BackupArchive.Verify(Path.Combine(_work, "o.zip")).Documents(BackupCatalog.Clients, "clients"));
    }

    private static async Task<string> KeyAsync(string data, params string[] args)
    {
        var added = await Cli.RunAsync(["clients", "add", "--json", "--data", data, .. args]);
        Assert.Equal(0, added.ExitCode);
        return JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
    }

    /// <summary>A backup of a stopped Sandbox gateway's directory with one payment.</summary>
    private async Task<(string File, string PaymentId)> StoppedBackupAsync()
    {
        string data;
        string paymentId;
        await using (var gateway = new CliGateway())
        {
            gateway.Host.KeepStorage = true;
            paymentId = (await gateway.Host.CreateAsync(Requests.Create("stopped-1"))).PaymentId;
            data = gateway.DataDirectory;
        }

        var file = Path.Combine(_work, "stopped.zip");
        var backup = await Cli.RunAsync("backup", "--out", file, "--data", data);
        Directory.Delete(data, recursive: true);
        Assert.Equal((0, ""), (backup.ExitCode, backup.Error));
        return (file, paymentId);
    }

    private static async Task CreateUntilAsync(GatewayFactory host, int creator, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var created = await host.CreateAsync(Requests.Create($"load-{creator}-{i}"));
            if (i % 3 == 0)
            {
                await host.PayAsync(created.Khqr);
            }
        }
    }

    private static async Task PollUntilAsync(GatewayFactory host, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var seen = host.Store.Writes.Count;
            host.AdvanceAndPoll(TimeSpan.FromSeconds(2));
            try
            {
                await host.Store.WaitForAsync(_ => true, skip: seen).WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    private static List<PaymentSnapshot> ReadAll(string path)
    {
        using var store = new LiteDbPaymentStore(path);
        var all = new List<PaymentSnapshot>();
        string? token = null;
        do
        {
            var page = store.ListAsync(new PaymentQuery { PageSize = PaymentLimits.MaxPageSize, PageToken = token }, Ct).GetAwaiter().GetResult();
            all.AddRange(page.Payments.Select(p => p.ToSnapshot()));
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    private static string Json(PaymentSnapshot payment) => JsonSerializer.Serialize(payment);
}
