using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Bakong.Cli.Payments;
using Bakong.Cli.Token;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Storage;
using Grpc.Core;

namespace Bakong.Cli.Backup;

/// <summary>
/// <c>bakong backup --out FILE</c>: one file with a consistent copy of every store of the data directory (payments,
/// token and its key, call audit, clients) and a manifest (format, version, environment, merchant account, time,
/// documents and SHA-256 per file). With the gateway stopped it copies the files itself; while a gateway holds them (or
/// the data directory has none) it goes through its <c>bakong.admin.v1</c> API (an operator's key, <c>--key</c> or <c>BAKONG_KEY</c>), which copies
/// them while it keeps serving. Either way the file appears whole or not at all, and is checked against its manifest.
/// </summary>
/// <remarks>Exit codes: 0 done; 1 the stores or the gateway refused; 2 bad input.</remarks>
internal sealed class BackupCommand : Command
{
    private readonly CliContext _context;
    private readonly Option<string> _out = new("--out") { Description = "The backup file to write (a zip); it must not exist.", HelpName = "file", Required = true };
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<Uri> _server = GatewayClient.ServerOption();
    private readonly Option<string?> _key = GatewayClient.KeyOption();

    public BackupCommand(CliContext context)
        : base("backup", "Write a consistent copy of every store (payments, token, call audit, clients) to one file, through the running gateway or from its stopped data directory.")
    {
        _context = context;
        _key.Description = "An operator's API key: used when a running gateway holds the stores, to go through its admin API. Default: $" + GatewayClient.KeyVariable + ".";
        Options.Add(_out);
        Options.Add(_data);
        Options.Add(_server);
        Options.Add(_key);
        SetAction(RunAsync);
    }

    /// <summary>The version a backup made by this command records.</summary>
    internal static string Version { get; } =
        typeof(BackupCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (BakongSetup.ResolveData(parseResult, _data, out var dataError) is not { } data)
        {
            return await FailAsync(dataError!, ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        var output = Path.GetFullPath(parseResult.GetValue(_out)!);
        if (File.Exists(output) || Directory.Exists(output))
        {
            return await FailAsync($"--out: '{output}' already exists; give a new file name.", ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        if (Path.GetDirectoryName(output) is not { } folder || !Directory.Exists(folder))
        {
            return await FailAsync($"--out: the folder of '{output}' does not exist.", ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        data = Path.GetFullPath(data);
        string source;
        BackupManifest manifest;
        try
        {
            try
            {
                // The payment file under the name its gateway recorded (Storage:Path may rename it).
                var paymentsFile = GatewayIdentity.PaymentsFileIn(data);
                // An explicit --server always asks that gateway: the data directory (the default one above all) may
                // hold another, stopped gateway's stores, which are not what the caller named. A store held by a running
                // gateway is asked through it too (RunningGateway: only the lock file is tried).
                string[] stores = [.. BackupCatalog.Stores.Select(store => Path.Combine(data, store.FileNameIn(paymentsFile)))];
                if (RunningGateway.Holds(parseResult, _server, stores) || !stores.Any(File.Exists))
                {
                    // No stores here: the gateway keeps its data elsewhere (or on another machine); ask it.
                    throw new StoreLockedException();
                }

                manifest = BackupArchive.Create(
                    data,
                    folder,
                    output,
                    new BackupOrigin("bakong", Version, GatewayIdentity.Read(data)),
                    _context.TimeProvider.GetUtcNow(),
                    (store, destination) => StoreSnapshot.CopyClosed(Path.Combine(data, store.FileNameIn(paymentsFile)), store.Name + " store", destination));
                source = data;
            }
            catch (StoreLockedException)
            {
                // A running gateway holds the stores (or they are not here): it takes the copy itself, while it keeps serving.
                var server = parseResult.GetValue(_server)!;
                try
                {
                    manifest = await DownloadAsync(server, GatewayClient.KeyOf(parseResult, _key), output, cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException e)
                {
                    return GatewayClient.ReportError(_context, json: false, server, e);
                }

                source = "the gateway at " + server.AbsoluteUri.TrimEnd('/');
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException or InvalidDataException)
        {
            return await FailAsync("Backup failed: " + e.Message, BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }

        foreach (var line in Describe(manifest, output, source))
        {
            await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>The gateway's backup stream into a new file beside <paramref name="output"/>, checked, then renamed into place.</summary>
    private static async Task<BackupManifest> DownloadAsync(Uri server, string? key, string output, CancellationToken cancellationToken)
    {
        var partial = output + "." + Guid.NewGuid().ToString("N") + ".partial";
        try
        {
            using (var channel = GatewayClient.Open(server, key))
            {
                using var call = new AdminService.AdminServiceClient(channel).Backup(new BackupRequest(), cancellationToken: cancellationToken);
                var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                await using (file.ConfigureAwait(false))
                {
                    await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await file.WriteAsync(chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
                    }

                    file.Flush(flushToDisk: true);
                }
            }

            // What arrived is what the gateway wrote: every file against the manifest's SHA-256.
            var manifest = BackupArchive.Verify(partial);
            File.Move(partial, output);
            return manifest;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    internal static IEnumerable<string> Describe(BackupManifest manifest, string file, string source)
    {
        var bytes = new FileInfo(file).Length;
        yield return $"Backup     {file} ({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes) from {source}";
        yield return $"Data of    {manifest.Environment ?? "an unrecorded environment"}, merchant account {manifest.MerchantAccount ?? "unrecorded"}";
        yield return $"Taken      {manifest.CreateTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC by {manifest.MadeBy} {manifest.Version}";
        foreach (var store in manifest.Stores)
        {
            var documents = string.Join(", ", store.Documents.Select(d => $"{d.Key} {d.Value.ToString(CultureInfo.InvariantCulture)}"));
            yield return $"  {store.Name,-9}{string.Join(" + ", store.Files.Select(f => f.Name))}: {(documents.Length == 0 ? "empty" : documents)}";
        }
    }

    private async Task<int> FailAsync(string line, int exitCode, CancellationToken cancellationToken)
    {
        await _context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        return exitCode;
    }
}
