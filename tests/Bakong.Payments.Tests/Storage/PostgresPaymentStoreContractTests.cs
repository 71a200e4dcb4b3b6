using Bakong.Payments.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bakong.Payments.Tests.Storage;

/// <summary>The store contract on PostgreSQL: a fresh database of the test run's throwaway cluster per test.</summary>
public sealed class PostgresPaymentStoreContractTests(PostgresCluster cluster) : PaymentStoreContract
{
    private string? _connectionString;

    protected override async Task<IPaymentStore> OpenAsync()
    {
        cluster.SkipIfUnavailable();
        _connectionString ??= await cluster.CreateDatabaseAsync(Ct);
        return new PostgresPaymentStore(PostgresDatabase.Open(_connectionString, NullLogger.Instance));
    }

    /// <summary>
    /// A deferred constraint trigger on the outbox: it runs at COMMIT, after the payment's row and its outbox row were
    /// written in the transaction, and refuses it, so the commit itself fails.
    /// </summary>
    protected override async Task FailCommitsAsync(bool fail)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            fail
                ? """
                  CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;
                  CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT OR UPDATE ON webhook_outbox
                      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
                  """
                : "DROP TRIGGER refuse_commit ON webhook_outbox; DROP FUNCTION refuse_commit();",
            connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
