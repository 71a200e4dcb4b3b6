using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bakong.Cli.Payments;
using Bakong.Cli.Token;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Bakong.OpenApi.Storage;
using Grpc.Core;
using Npgsql;

namespace Bakong.Cli.Clients;

/// <summary>
/// <c>bakong clients add|list|revoke|bind-certificate|unbind-certificate</c>: the gateway's clients (POS terminals,
/// kiosks, operators), their API keys and the TLS client certificates they are bound to, in the client store of the
/// data directory. A key is printed once, by <c>add</c>, and never again: the store keeps
/// only its hash, and <c>list</c> shows neither.
/// </summary>
/// <remarks>
/// With <c>--server</c> they go through that gateway's <c>bakong.admin.v1</c> API with an operator's key (<c>--key</c> or
/// <c>BAKONG_KEY</c>), whatever this machine's disk holds. Without it: with the gateway stopped they open the store of
/// the data directory; a running gateway with API keys holds it, and then they go through its admin API (the default
/// address) with the key. With the gateway's PostgreSQL settings in the environment (<see cref="GatewayStorage"/>) and
/// no <c>--server</c> they open its database's table, running gateway or not (the first operator key of a PostgreSQL gateway).
/// Exit codes: 0 done; 1 the store cannot be used (held, with no key to ask the gateway; damaged), the gateway refused,
/// or no such client; 2 bad input.
/// </remarks>
internal sealed class ClientsCommand : Command
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CliContext _context;
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<bool> _json = new("--json") { Description = "JSON: add prints one object (clientId, key, role, name, terminalIds, certificateSha256; pairingUrl for a kiosk or operator); list one object per client and line." };
    private readonly Option<Uri> _server = GatewayClient.ServerOption();
    private readonly Option<string?> _key = GatewayClient.KeyOption();

    public ClientsCommand(CliContext context)
        : base("clients", "Add, list and revoke the gateway's clients (POS terminals, kiosks, operators) and their API keys, and bind them to TLS client certificates.")
    {
        _context = context;
        // --server, or a running gateway holding the client store, means the admin API is asked, with --key.
        _server.Description = "Ask the gateway at this gRPC address (its admin API), whatever this machine's data directory holds. Default: the data directory, or the gateway at " + GatewayClient.DefaultServer + " when it runs on it.";
        _key.Description = "An operator's API key: used with --server, or when a running gateway holds the client store, to go through its admin API. Default: $" + GatewayClient.KeyVariable + ".";
        foreach (var option in new Option[] { _data, _json, _server, _key })
        {
            option.Recursive = true;
            Options.Add(option);
        }

        Subcommands.Add(Add());
        Subcommands.Add(List());
        Subcommands.Add(Revoke());
        Subcommands.Add(BindCertificate());
        Subcommands.Add(UnbindCertificate());
    }

    private Command Add()
    {
        var terminals = new Option<string[]>("--terminal")
        {
            Description = "A terminal id the client may create and see payments for; repeat for more. Required for a terminal or kiosk, refused for an operator (who has all).",
            HelpName = "id",
            AllowMultipleArgumentsPerToken = false,
        };
        var role = new Option<ClientRole>("--role")
        {
            Description = "terminal (a POS), kiosk (a self-service page) or operator (every terminal, and the admin API). Default terminal.",
            HelpName = "terminal|kiosk|operator",
            DefaultValueFactory = _ => ClientRole.Terminal,
            CustomParser = result => ClientRoleNames.TryParse(result.Tokens[0].Value, out var parsed)
                ? parsed
                : Error<ClientRole>(result, $"--role must be terminal, kiosk or operator, not '{result.Tokens[0].Value}'."),
        };
        var name = new Option<string?>("--name") { Description = "A label for people, e.g. \"Till 1\" (at most 100 characters).", HelpName = "text" };
        var kioskUrl = KioskPairing.UrlOption();
        var adminUrl = KioskPairing.AdminUrlOption();
        var certificate = CertificateOption("Bind the client to this TLS client certificate (a PEM file): its key is then accepted only on an https connection presenting it (mutual TLS).");
        var command = new Command("add", "Add a client and print its API key, once: the store keeps only a hash. Callers send it as 'authorization: Bearer <key>'. A kiosk also gets its pairing URL.")
        {
            terminals,
            role,
            name,
            kioskUrl,
            adminUrl,
            certificate,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: true, async (clients) =>
        {
            var registration = new ClientRegistration(parseResult.GetValue(role), parseResult.GetValue(terminals) ?? [], parseResult.GetValue(name));
            if (registration.Check() is { Count: > 0 } violations)
            {
                foreach (var (field, reason) in violations)
                {
                    await WriteAsync(_context.Error, $"{OptionOf(field)}: {reason}.", cancellationToken).ConfigureAwait(false);
                }

                return ExitCodes.BadInput;
            }

            CertificateFile? bound = null;
            if (parseResult.GetValue(certificate) is { } certificatePath && (bound = await ReadCertificateAsync(certificatePath, cancellationToken).ConfigureAwait(false)) is null)
            {
                return ExitCodes.BadInput;
            }

            var added = await clients!.AddAsync(registration, bound, cancellationToken).ConfigureAwait(false);
            var pairingUrl = added.Client.Role switch
            {
                ClientRole.Kiosk => KioskPairing.Url(parseResult.GetValue(kioskUrl)!, added.Client.TerminalIds[0], added.Key),
                ClientRole.Operator => KioskPairing.AdminUrl(parseResult.GetValue(adminUrl)!, added.Key),
                _ => null,
            };
            if (parseResult.GetValue(_json))
            {
                await WriteAsync(_context.Output, Json(added.Client, added.Key, pairingUrl), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            foreach (var line in Describe(added.Client))
            {
                await WriteAsync(_context.Output, line, cancellationToken).ConfigureAwait(false);
            }

            await WriteAsync(_context.Output, "Key        " + added.Key, cancellationToken).ConfigureAwait(false);
            await WriteAsync(_context.Output, "Keep the key now: it is shown only this once. Callers send it as 'authorization: Bearer <key>'.", cancellationToken).ConfigureAwait(false);
            if (pairingUrl is not null)
            {
                await WriteAsync(_context.Output, "Pairing    " + pairingUrl, cancellationToken).ConfigureAwait(false);
                var where = added.Client.Role == ClientRole.Operator ? "the operator's browser (the dashboard)" : "the kiosk's browser";
                await WriteAsync(_context.Output, "Open it once in " + where + ": the page keeps the key and removes it from the address bar. It holds the key: treat it as the key.", cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private Command List()
    {
        var command = new Command("list", "List the clients, oldest first: id, role, terminals, name, when added, and whether revoked. Never a key.");
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, async (directory) =>
        {
            var clients = directory is null ? [] : await directory.ListAsync(cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(_json))
            {
                foreach (var client in clients)
                {
                    await WriteAsync(_context.Output, Json(client, key: null, pairingUrl: null), cancellationToken).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            if (clients.Count == 0)
            {
                await WriteAsync(_context.Output, $"No clients in {directory?.Where ?? StorePath(parseResult)}; add one with 'bakong clients add --role operator'.", cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            foreach (var line in Table(clients))
            {
                await WriteAsync(_context.Output, line, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private Command Revoke()
    {
        var id = ClientIdArgument();
        var command = new Command("revoke", "Revoke a client's key: from now on the gateway refuses it. The client stays listed, as revoked.") { id };
        ValidateClientId(command, id);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, async (directory) =>
        {
            var clientId = parseResult.GetValue(id)!;
            if ((directory is null ? null : await directory.RevokeAsync(clientId, cancellationToken).ConfigureAwait(false)) is not { } revoked)
            {
                await WriteAsync(_context.Error, $"No client '{clientId}' in {directory?.Where ?? StorePath(parseResult)}.", cancellationToken).ConfigureAwait(false);
                return BakongSetup.Refused;
            }

            if (parseResult.GetValue(_json))
            {
                await WriteAsync(_context.Output, Json(revoked, key: null, pairingUrl: null), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(_context.Output, $"Revoked client {revoked.Id} ({Label(revoked)}): the gateway refuses its key from now on.", cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private Command BindCertificate()
    {
        var id = ClientIdArgument();
        var certificate = CertificateOption("The TLS client certificate (a PEM file) to bind the client to. Required.");
        certificate.Required = true;
        var command = new Command("bind-certificate", "Bind a client to a TLS client certificate: from now on its key is accepted only on an https connection that presents that certificate (mutual TLS). Only the certificate's SHA-256 is kept.")
        {
            id,
            certificate,
        };
        ValidateClientId(command, id);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, async (directory) =>
        {
            if (await ReadCertificateAsync(parseResult.GetValue(certificate)!, cancellationToken).ConfigureAwait(false) is not { } file)
            {
                return ExitCodes.BadInput;
            }

            return await BindAsync(parseResult, directory, parseResult.GetValue(id)!, file, cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private Command UnbindCertificate()
    {
        var id = ClientIdArgument();
        var command = new Command("unbind-certificate", "Unbind a client from its TLS client certificate: its key alone is accepted again.") { id };
        ValidateClientId(command, id);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, (directory) =>
            BindAsync(parseResult, directory, parseResult.GetValue(id)!, certificate: null, cancellationToken), cancellationToken));
        return command;
    }

    private async Task<int> BindAsync(ParseResult parseResult, IClientDirectory? directory, string clientId, CertificateFile? certificate, CancellationToken cancellationToken)
    {
        if ((directory is null ? null : await directory.BindCertificateAsync(clientId, certificate, cancellationToken).ConfigureAwait(false)) is not { } client)
        {
            await WriteAsync(_context.Error, $"No client '{clientId}' in {directory?.Where ?? StorePath(parseResult)}.", cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }

        if (parseResult.GetValue(_json))
        {
            await WriteAsync(_context.Output, Json(client, key: null, pairingUrl: null), cancellationToken).ConfigureAwait(false);
        }
        else if (certificate is not null)
        {
            await WriteAsync(_context.Output, $"Bound client {client.Id} ({Label(client)}) to the certificate with SHA-256 {certificate.Thumbprint}: its key is accepted only on an https connection presenting it.", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WriteAsync(_context.Output, $"Unbound client {client.Id} ({Label(client)}) from its certificate: its key alone is accepted again.", cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static Argument<string> ClientIdArgument() => new("client-id") { Description = "The client's id, as 'bakong clients list' shows it." };

    private static void ValidateClientId(Command command, Argument<string> id) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(id) is { Tokens: [var token] } && !ApiKey.IsClientId(token.Value))
            {
                result.AddError($"'{Shorten(token.Value)}' is not a client id ({ApiKey.ClientIdLength} lower-case letters and digits, as 'bakong clients list' shows).");
            }
        });

    private static Option<string?> CertificateOption(string description) => new("--certificate") { Description = description, HelpName = "file.pem" };

    /// <summary>The certificate in a PEM file, or null after saying on stderr why it is not one.</summary>
    private async Task<CertificateFile?> ReadCertificateAsync(string path, CancellationToken cancellationToken)
    {
        if (TextFile.Read(path, ClientCertificate.MaxPemLength, "a PEM certificate", out var problem) is { } pem
            && ClientCertificate.ThumbprintOfPem(pem, out problem) is { } thumbprint)
        {
            return new CertificateFile(pem, thumbprint);
        }

        await WriteAsync(_context.Error, $"--certificate {path}: {problem}.", cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Opens the admin API of the gateway <c>--server</c> names, or else the client store of the data directory, or the
    /// admin API of the gateway that holds it (when a key is given), or, when there is no store and
    /// <paramref name="createIfMissing"/> is false, runs <paramref name="body"/> with none; closes it before returning
    /// the exit code.
    /// </summary>
    private async Task<int> RunAsync(ParseResult parseResult, bool createIfMissing, Func<IClientDirectory?, Task<int>> body, CancellationToken cancellationToken)
    {
        // --server names the gateway to ask: its admin API, whatever this machine holds (no client store at all, or
        // another, stopped gateway's), on LiteDB and PostgreSQL alike; the key is the gateway's to require.
        if (RunningGateway.IsNamed(parseResult, _server))
        {
            return await RunAsync(parseResult, new GatewayClientDirectory(parseResult.GetValue(_server)!, GatewayClient.KeyOf(parseResult, _key)), body, cancellationToken).ConfigureAwait(false);
        }

        if (GatewayStorage.PostgreSqlConnectionString(out var settingsError) is { } connectionString)
        {
            return await RunOnPostgreSqlAsync(parseResult, connectionString, body, cancellationToken).ConfigureAwait(false);
        }

        if (settingsError is not null)
        {
            await WriteAsync(_context.Error, settingsError, cancellationToken).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        var path = StorePath(parseResult);
        if (path is null)
        {
            BakongSetup.ResolveData(parseResult, _data, out var error);
            await WriteAsync(_context.Error, error!, cancellationToken).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        // No store here, and no --server (above): no clients, and nobody's gateway holds a file that does not exist.
        if (!createIfMissing && !File.Exists(path))
        {
            return await body(null).ConfigureAwait(false);
        }

        IClientDirectory directory;
        try
        {
            // A running gateway holds the store: its admin API, with an operator's key; without one, the store's own
            // open says that it is held (below).
            directory = RunningGateway.IsHeld(path) && GatewayClient.KeyOf(parseResult, _key) is { } operatorKey
                ? new GatewayClientDirectory(parseResult.GetValue(_server)!, operatorKey)
                : new StoreClientDirectory(new ClientStore(path, _context.TimeProvider));
        }
        catch (StoreLockedException e)
        {
            // A running gateway holds the store: its admin API, with an operator's key; without one, the store's line.
            if (GatewayClient.KeyOf(parseResult, _key) is not { } key)
            {
                await WriteAsync(_context.Error, e.Message + " A running gateway holds it: give an operator's key (--key or " + GatewayClient.KeyVariable + ") to go through it.", cancellationToken).ConfigureAwait(false);
                return BakongSetup.Refused;
            }

            directory = new GatewayClientDirectory(parseResult.GetValue(_server)!, key);
        }
        catch (StoreException e)
        {
            await WriteAsync(_context.Error, e.Message, cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await WriteAsync(_context.Error, $"Cannot open the client store {path} ({e.Message}).", cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }

        return await RunAsync(parseResult, directory, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The clients of a PostgreSQL gateway: its database's table, which takes this command beside running replicas (no
    /// lock to find a gateway by), so the admin API only when asked for, with <c>--server</c> (see the caller).
    /// </summary>
    private async Task<int> RunOnPostgreSqlAsync(ParseResult parseResult, string connectionString, Func<IClientDirectory?, Task<int>> body, CancellationToken cancellationToken)
    {
        IClientDirectory directory;
        try
        {
            directory = GatewayStorage.Open(connectionString, _context.TimeProvider);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // Npgsql's messages name the host and user, never the password.
            await WriteAsync(_context.Error, $"Cannot open {GatewayStorage.Describe(connectionString)} ({e.Message}).", cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }

        return await RunAsync(parseResult, directory, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="directory"/>, then closes it; the store's and the gateway's errors are exit codes.</summary>
    private async Task<int> RunAsync(ParseResult parseResult, IClientDirectory directory, Func<IClientDirectory?, Task<int>> body, CancellationToken cancellationToken)
    {
        using (directory)
        {
            try
            {
                return await body(directory).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                return GatewayClient.ReportError(_context, json: false, parseResult.GetValue(_server)!, e);
            }
            catch (Exception e) when (e is StoreException or IOException or NpgsqlException)
            {
                await WriteAsync(_context.Error, e.Message, cancellationToken).ConfigureAwait(false);
                return BakongSetup.Refused;
            }
        }
    }

    /// <summary>The client store of the data directory; null when <c>--data</c> is not a usable path.</summary>
    private string? StorePath(ParseResult parseResult) =>
        BakongSetup.ResolveData(parseResult, _data, out _) is { } directory ? Path.Combine(directory, BakongDataDirectory.ClientsFileName) : null;

    private static IEnumerable<string> Describe(ApiClient client)
    {
        yield return "Client     " + client.Id;
        yield return "Role       " + ClientRoleNames.Name(client.Role);
        if (client.TerminalIds.Count > 0)
        {
            yield return "Terminals  " + string.Join(", ", client.TerminalIds);
        }

        if (client.Name.Length > 0)
        {
            yield return "Name       " + client.Name;
        }

        if (client.CertificateThumbprint is { } thumbprint)
        {
            yield return "Cert       " + thumbprint + " (SHA-256; its key needs this TLS client certificate)";
        }
    }

    private static IEnumerable<string> Table(IReadOnlyList<ApiClient> clients)
    {
        string[] header = ["ID", "ROLE", "TERMINALS", "ADDED (UTC)", "STATUS", "CERTIFICATE", "NAME"];
        var rows = new List<string[]>(clients.Count + 1) { header };
        rows.AddRange(clients.Select(c => new[]
        {
            c.Id,
            ClientRoleNames.Name(c.Role),
            c.Role == ClientRole.Operator ? "(all)" : string.Join(",", c.TerminalIds),
            c.CreatedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture),
            c.RevokedAt is { } revoked ? "revoked " + revoked.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) : "active",
            c.CertificateThumbprint is { } thumbprint ? ClientCertificate.Abbreviate(thumbprint) : "-",
            c.Name,
        }));

        return TextTable.Lines(rows);
    }

    private static string Json(ApiClient client, string? key, string? pairingUrl)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_json))
        {
            writer.WriteStartObject();
            writer.WriteString("clientId", client.Id);
            if (key is not null)
            {
                writer.WriteString("key", key);
            }

            writer.WriteString("role", ClientRoleNames.Name(client.Role));
            writer.WriteString("name", client.Name);
            writer.WriteStartArray("terminalIds");
            foreach (var terminal in client.TerminalIds)
            {
                writer.WriteStringValue(terminal);
            }

            writer.WriteEndArray();
            writer.WriteString("createdAt", client.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            if (client.RevokedAt is { } revoked)
            {
                writer.WriteString("revokedAt", revoked.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            }
            else
            {
                writer.WriteNull("revokedAt");
            }

            if (client.CertificateThumbprint is { } thumbprint)
            {
                writer.WriteString("certificateSha256", thumbprint);
            }
            else
            {
                writer.WriteNull("certificateSha256");
            }

            if (pairingUrl is not null)
            {
                writer.WriteString("pairingUrl", pairingUrl);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Label(ApiClient client) =>
        client.Name.Length > 0 ? $"{ClientRoleNames.Name(client.Role)}, {client.Name}" : ClientRoleNames.Name(client.Role);

    private static string OptionOf(string field) => field switch
    {
        "role" => "--role",
        "name" => "--name",
        _ when field.StartsWith("terminal_ids[", StringComparison.Ordinal) => "--terminal #" + (int.Parse(field.AsSpan(13, field.Length - 14), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture),
        _ => "--terminal",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static T Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }

    private static Task WriteAsync(TextWriter writer, string line, CancellationToken cancellationToken) =>
        writer.WriteLineAsync(line.AsMemory(), cancellationToken);
}
