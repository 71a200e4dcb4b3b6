using Bakong.OpenApi.Storage;

namespace Bakong.Cli.Tests.Token;

/// <summary>
/// <c>bakong token</c> and <c>bakong audit</c> over a data directory whose files are not databases (damaged, or
/// something else under the same name): the store's one line names the file, exit 1, nothing on stdout.
/// </summary>
public sealed class DamagedDataTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("bakong-damaged-");

    public void Dispose() => _data.Delete(recursive: true);

    [Theory]
    [InlineData(BakongDataDirectory.TokensFileName, "token store", "token", "status")]
    [InlineData(BakongDataDirectory.AuditFileName, "call audit", "audit", "list")]
    public async Task A_file_that_is_not_a_database_is_named_in_one_line_and_the_command_exits_1(
        string fileName, string storeName, string command, string subcommand)
    {
        var path = Path.Combine(_data.FullName, fileName);
        await File.WriteAllBytesAsync(path, Enumerable.Repeat((byte)0xAB, 16_384).ToArray(), TestContext.Current.CancellationToken);

        var run = await Cli.RunAsync(command, subcommand, "--data", _data.FullName);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"The {storeName} '{path}' cannot be used: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }
}
