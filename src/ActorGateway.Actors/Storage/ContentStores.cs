using Akka.Configuration;
using ActorGateway.Actors.Configuration;

namespace ActorGateway.Actors.Storage;

/// <summary>The one place that chooses a node's content store, by <c>actor-gateway.storage</c>.</summary>
public static class ContentStores
{
    /// <summary>
    /// SQLite (<c>{data-dir}/content.db</c>) by default; with <c>actor-gateway.storage = postgres</c>, the table
    /// <c>actor-gateway.postgres.content-table</c> of the database every node shares.
    /// </summary>
    public static IContentStore Open(GatewaySettings settings, Config config) => GatewayConfig.StorageOf(config) switch
    {
        StorageKind.Postgres => OpenPostgres(settings, PostgresSettings.From(config)),
        _ => new SqliteContentStore(settings.ContentDbFile, settings.ContentDir, settings.ContentMaxBatchMessages, settings.ContentMaxBatchBytes),
    };

    private static PostgresContentStore OpenPostgres(GatewaySettings settings, PostgresSettings postgres)
    {
        if (string.IsNullOrWhiteSpace(postgres.ConnectionString))
        {
            throw new ConfigurationException("actor-gateway.storage = postgres, but actor-gateway.postgres.connection-string is empty (gateway run --postgres, or $GATEWAY_POSTGRES)");
        }
        return new PostgresContentStore(postgres.ConnectionString, postgres.ContentTable, settings.ContentMaxBatchMessages, settings.ContentMaxBatchBytes);
    }
}
