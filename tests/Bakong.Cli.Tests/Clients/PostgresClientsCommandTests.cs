using System.Text.Json;
using Bakong.Cli.Tests.Payments;
using Bakong.Identity;
using Bakong.OpenApi.Storage;
using Bakong.Testing.Postgres;
using Variable = Bakong.Cli.Tests.Token.EnvironmentVariableTests.Variable;

namespace Bakong.Cli.Tests.Clients;

/// <summary>
/// <c>bakong clients</c> with the gateway's PostgreSQL settings in the environment (<c>Storage__Provider</c>,
/// <c>Storage__ConnectionString</c>): the first operator key of a PostgreSQL gateway, made with no key and no gateway,
/// and the connection string's password in no output. The variables are the process's: these run alone.
/// </summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class PostgresClientsCommandTests(PostgresCluster cluster) : IDisposable
{
    // The throwaway cluster trusts loopback and ignores a password: one is given all the same, to look for in the output.
    private const string Password = "pg-Secret-5a1b9c";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-cli-pg-clients-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Clients_add_operator_on_PostgreSql_settings_makes_the_first_key_a_PostgreSql_gateway_accepts_and_never_shows_the_password()
    {
        var database = await cluster.CreateDatabaseAsync(Ct) + ";Password=" + Password;
        using var provider = new Variable("Storage__Provider", "PostgreSql");
        using var connection = new Variable("Storage__ConnectionString", database);

        var added = await Cli.RunAsync("clients", "add", "--role", "operator", "--name", "First operator", "--json", "--data", _data);
        var listed = await Cli.RunAsync("clients", "list", "--data", _data);
        var json = JsonDocument.Parse(added.Output).RootElement;
        var id = json.GetProperty("clientId").GetString()!;
        var key = json.GetProperty("key").GetString()!;

        // A gateway on that database, needing keys, takes it for its admin API (clients list through it: an operator's call).
        await using var gateway = new CliGateway();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = database;
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        var throughGateway = await gateway.RunAsync("clients", "list", "--json", "--key", key);

        Assert.True(added.ExitCode == 0, added.Error);
        Assert.Equal("operator", json.GetProperty("role").GetString());
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Contains(listed.OutputLines, l => l.StartsWith(id + " ", StringComparison.Ordinal) && l.Contains("operator", StringComparison.Ordinal) && l.EndsWith("First operator", StringComparison.Ordinal));
        Assert.True(throughGateway.ExitCode == 0, throughGateway.Error);
        Assert.Equal(id, JsonDocument.Parse(Assert.Single(throughGateway.OutputLines)).RootElement.GetProperty("clientId").GetString());
        Assert.False(Directory.Exists(_data) && File.Exists(Path.Combine(_data, BakongDataDirectory.ClientsFileName)), "a LiteDB client file was written");
        Assert.All(new[] { added, listed, throughGateway }, run => Assert.DoesNotContain(Password, run.Output + run.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_server_clients_list_asks_that_gateway_and_not_the_table_its_PostgreSql_settings_name()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var provider = new Variable("Storage__Provider", "PostgreSql");
        using var connection = new Variable("Storage__ConnectionString", database);
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", _data);
        var key = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        await using var gateway = new CliGateway();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = database;
        gateway.Settings["Auth:Mode"] = "ApiKeys";

        // gateway.RunAsync adds --server: the gateway answers, with the key or refusing without one; the table, which
        // this process could read, is not asked.
        var withKey = await gateway.RunAsync("clients", "list", "--json", "--data", _data, "--key", key);
        var withoutKey = await gateway.RunAsync("clients", "list", "--data", _data);

        Assert.True(made.ExitCode == 0, made.Error);
        Assert.True(withKey.ExitCode == 0, withKey.Error);
        Assert.Single(withKey.OutputLines);
        Assert.Equal(1, withoutKey.ExitCode);
        Assert.StartsWith("UNAUTHENTICATED: ", Assert.Single(withoutKey.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(withoutKey.Output);
    }

    [Fact]
    public async Task Clients_list_on_a_PostgreSql_database_it_cannot_reach_names_the_database_and_never_the_password()
    {
        // A socket folder that does not exist: refused at once, with no port to race for.
        using var provider = new Variable("Storage__Provider", "PostgreSql");
        using var connection = new Variable("Storage__ConnectionString", $"Host={_data};Database=payments;Username=bakong;Password={Password}");

        var run = await Cli.RunAsync("clients", "list", "--data", _data);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("Cannot open the api_clients table of PostgreSQL database 'payments' on " + _data + ":5432 (", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, run.Output + run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PostgreSql", null, "Storage__Provider is PostgreSql but Storage__ConnectionString is not set: give the gateway's PostgreSQL connection string.")]
    [InlineData("PostgreSql", "Host=db;Port=five;Password=" + Password, "Storage__ConnectionString is not a connection string Npgsql accepts (keywords such as Host, Port, Database, Username, Password; its value is not shown: it may hold a password).")]
    [InlineData("Oracle", null, "Storage__Provider must be LiteDb or PostgreSql, not 'Oracle'.")]
    public async Task Wrong_storage_settings_are_bad_input_in_one_line_that_never_shows_the_connection_string(string providerName, string? connectionString, string error)
    {
        using var provider = new Variable("Storage__Provider", providerName);
        using var connection = new Variable("Storage__ConnectionString", connectionString);

        var run = await Cli.RunAsync("clients", "add", "--role", "operator", "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, Assert.Single(run.ErrorLines));
        Assert.Empty(run.Output);
    }

    [Fact]
    public void The_command_carries_the_gateways_migrations()
    {
        // The schema the command creates on an empty database is the gateway's: the same embedded files, all of them.
        var mine = typeof(CliApp).Assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        var gateways = typeof(Microsoft.Extensions.DependencyInjection.PostgresStorageServiceCollectionExtensions).Assembly
            .GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

        Assert.NotEmpty(mine);
        Assert.Equal(gateways, mine);
    }
}
