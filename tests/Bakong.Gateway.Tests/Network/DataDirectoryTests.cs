using Bakong.Gateway.Tests.Access;
using Bakong.Identity;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// The data directory holds the payments, the token and its key, the call audit and the API key hashes: on Unix a
/// new one is owner-only (0700) and every file the stores write there 0600. An existing directory open to others is
/// left as it is and warned about at start.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataDirectoryTests
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task A_new_data_directory_is_owner_only_and_every_file_in_it_too()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        await using var gateway = new GatewayFactory();
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        Assert.False(Directory.Exists(gateway.StorageDirectory));

        var payments = gateway.PaymentsAs(gateway.AddClient(ClientRole.Operator));

        await payments.CreatePaymentAsync(Requests.Create("private-files"), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(gateway.StorageDirectory));
        var files = Directory.GetFiles(gateway.StorageDirectory);
        Assert.Superset(
            new HashSet<string> { "bakong.db", "bakong-tokens.db", "bakong-tokens.db.key", "bakong-audit.db", "bakong-clients.db" },
            files.Select(Path.GetFileName).ToHashSet()!);
        Assert.All(files, f => Assert.True((File.GetUnixFileMode(f) & GroupOrOthers) == 0, f + " is " + File.GetUnixFileMode(f)));
        Assert.Empty(gateway.Logs.Named("DataDirectoryOpen"));
    }

    [Fact]
    public async Task An_existing_data_directory_open_to_others_is_warned_about_and_its_files_are_still_owner_only()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        await using var gateway = new GatewayFactory();
        Directory.CreateDirectory(gateway.StorageDirectory);
        File.SetUnixFileMode(gateway.StorageDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        await gateway.CreateAsync(Requests.Create("open-dir-" + Guid.NewGuid().ToString("N")));

        var line = Assert.Single(gateway.Logs.Named("DataDirectoryOpen"));
        Assert.Contains("chmod 700 " + gateway.StorageDirectory, line.Message, StringComparison.Ordinal);
        Assert.True((File.GetUnixFileMode(gateway.StoragePath) & GroupOrOthers) == 0);
        Assert.NotEqual(UnixFileMode.None, File.GetUnixFileMode(gateway.StorageDirectory) & GroupOrOthers);
    }
}
