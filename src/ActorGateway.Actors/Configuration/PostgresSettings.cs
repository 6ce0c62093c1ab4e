using System.Text.RegularExpressions;
using Akka.Configuration;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// The <c>actor-gateway.postgres</c> HOCON section, typed (hocon/gateway.conf has each setting's meaning and default).
/// </summary>
public sealed partial record PostgresSettings(string ConnectionString, string ContentTable, string RelaySentTable, TimeSpan ConnectTimeout)
{
    public static PostgresSettings From(Config root)
    {
        var c = root.GetConfig("actor-gateway.postgres") ?? throw new ConfigurationException("the actor-gateway.postgres section is missing");
        var settings = new PostgresSettings(
            ConnectionString: c.GetString("connection-string", ""),
            ContentTable: c.GetString("content-table"),
            RelaySentTable: c.GetString("relay-sent-table"),
            ConnectTimeout: c.GetTimeSpan("connect-timeout"));
        RequireTableName(settings.ContentTable, "content-table");
        RequireTableName(settings.RelaySentTable, "relay-sent-table");
        if (settings.ConnectTimeout <= TimeSpan.Zero) throw new ConfigurationException("actor-gateway.postgres.connect-timeout must be positive");
        return settings;
    }

    /// <summary>
    /// Table names go into SQL text (DDL cannot take parameters), so only plain lower-case identifiers are allowed,
    /// optionally schema-qualified: nothing that needs quoting, nothing that could change the statement.
    /// </summary>
    public static void RequireTableName(string? name, string key)
    {
        if (name is null || !TableName().IsMatch(name))
        {
            throw new ConfigurationException(
                $"actor-gateway.postgres.{key} = '{name}' is not a table name (lower-case letters, digits and _, starting with a letter or _, optionally schema.table)");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$")]
    private static partial Regex TableName();
}
