using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bakong.Cli.Token;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Bakong.OpenApi.Storage;

namespace Bakong.Cli.Clients;

/// <summary>
/// <c>bakong clients add|list|revoke</c>: the gateway's clients (POS terminals, kiosks, operators) and their API keys,
/// in the client store of the data directory. A key is printed once, by <c>add</c>, and never again: the store keeps
/// only its hash, and <c>list</c> shows neither.
/// </summary>
/// <remarks>Exit codes: 0 done; 1 the store cannot be used (held by a running gateway, damaged) or no such client; 2 bad input.</remarks>
internal sealed class ClientsCommand : Command
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CliContext _context;
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<bool> _json = new("--json") { Description = "JSON: add prints one object (clientId, key, role, name, terminalIds); list one object per client and line." };

    public ClientsCommand(CliContext context)
        : base("clients", "Add, list and revoke the gateway's clients (POS terminals, kiosks, operators) and their API keys.")
    {
        _context = context;
        foreach (var option in new Option[] { _data, _json })
        {
            option.Recursive = true;
            Options.Add(option);
        }

        Subcommands.Add(Add());
        Subcommands.Add(List());
        Subcommands.Add(Revoke());
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
        var command = new Command("add", "Add a client and print its API key, once: the store keeps only a hash. Callers send it as 'authorization: Bearer <key>'.")
        {
            terminals,
            role,
            name,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: true, async (store, _) =>
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

            var added = store!.Add(registration);
            if (parseResult.GetValue(_json))
            {
                await WriteAsync(_context.Output, Json(added.Client, added.Key), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            foreach (var line in Describe(added.Client))
            {
                await WriteAsync(_context.Output, line, cancellationToken).ConfigureAwait(false);
            }

            await WriteAsync(_context.Output, "Key        " + added.Key, cancellationToken).ConfigureAwait(false);
            await WriteAsync(_context.Output, "Keep the key now: it is shown only this once. Callers send it as 'authorization: Bearer <key>'.", cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private Command List()
    {
        var command = new Command("list", "List the clients, oldest first: id, role, terminals, name, when added, and whether revoked. Never a key.");
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, async (store, path) =>
        {
            var clients = store?.List() ?? [];
            if (parseResult.GetValue(_json))
            {
                foreach (var client in clients)
                {
                    await WriteAsync(_context.Output, Json(client, key: null), cancellationToken).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            if (clients.Count == 0)
            {
                await WriteAsync(_context.Output, $"No clients in {path}; add one with 'bakong clients add --role operator'.", cancellationToken).ConfigureAwait(false);
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
        var id = new Argument<string>("client-id") { Description = "The client's id, as 'bakong clients list' shows it." };
        var command = new Command("revoke", "Revoke a client's key: from now on the gateway refuses it. The client stays listed, as revoked.") { id };
        command.Validators.Add(result =>
        {
            if (result.GetResult(id) is { Tokens: [var token] } && !ApiKey.IsClientId(token.Value))
            {
                result.AddError($"'{Shorten(token.Value)}' is not a client id ({ApiKey.ClientIdLength} lower-case letters and digits, as 'bakong clients list' shows).");
            }
        });
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, createIfMissing: false, async (store, path) =>
        {
            var clientId = parseResult.GetValue(id)!;
            if (store?.Revoke(clientId) is not { } revoked)
            {
                await WriteAsync(_context.Error, $"No client '{clientId}' in {path}.", cancellationToken).ConfigureAwait(false);
                return BakongSetup.Refused;
            }

            if (parseResult.GetValue(_json))
            {
                await WriteAsync(_context.Output, Json(revoked, key: null), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(_context.Output, $"Revoked client {revoked.Id} ({Label(revoked)}): the gateway refuses its key from now on.", cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    /// <summary>
    /// Opens the client store of the data directory (or, when there is none and <paramref name="createIfMissing"/> is
    /// false, runs <paramref name="body"/> with no store), and closes it before returning the exit code.
    /// </summary>
    private async Task<int> RunAsync(ParseResult parseResult, bool createIfMissing, Func<ClientStore?, string, Task<int>> body, CancellationToken cancellationToken)
    {
        var directory = BakongSetup.ResolveData(parseResult, _data, out var error);
        if (directory is null)
        {
            await WriteAsync(_context.Error, error!, cancellationToken).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        var path = Path.Combine(directory, BakongDataDirectory.ClientsFileName);
        if (!createIfMissing && !File.Exists(path))
        {
            return await body(null, path).ConfigureAwait(false);
        }

        ClientStore store;
        try
        {
            store = new ClientStore(path, _context.TimeProvider);
        }
        catch (Exception e) when (e is StoreLockedException or StoreException)
        {
            // A running gateway holds the file, or it is damaged: the store's one line says which file and why.
            await WriteAsync(_context.Error, e.Message, cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await WriteAsync(_context.Error, $"Cannot open the client store {path} ({e.Message}).", cancellationToken).ConfigureAwait(false);
            return BakongSetup.Refused;
        }

        using (store)
        {
            try
            {
                return await body(store, path).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoreException or IOException)
            {
                await WriteAsync(_context.Error, e.Message, cancellationToken).ConfigureAwait(false);
                return BakongSetup.Refused;
            }
        }
    }

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
    }

    private static IEnumerable<string> Table(IReadOnlyList<ApiClient> clients)
    {
        string[] header = ["ID", "ROLE", "TERMINALS", "ADDED (UTC)", "STATUS", "NAME"];
        var rows = new List<string[]>(clients.Count + 1) { header };
        rows.AddRange(clients.Select(c => new[]
        {
            c.Id,
            ClientRoleNames.Name(c.Role),
            c.Role == ClientRole.Operator ? "(all)" : string.Join(",", c.TerminalIds),
            c.CreatedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture),
            c.RevokedAt is { } revoked ? "revoked " + revoked.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) : "active",
            c.Name,
        }));

        var widths = new int[header.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            yield return line.ToString().TrimEnd();
        }
    }

    private static string Json(ApiClient client, string? key)
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
