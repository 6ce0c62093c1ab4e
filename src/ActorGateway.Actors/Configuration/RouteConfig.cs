using Akka.Configuration;
using Akka.Configuration.Hocon;
using ActorGateway.Domain;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Configuration;

/// <summary>Builds the <see cref="RouteTable"/> from <c>actor-gateway.routes</c>, reading directory files from disk.</summary>
public static class RouteConfig
{
    /// <param name="report">Receives (code, text) for each skipped directory line or missing directory file.</param>
    public static RouteTable Load(Config root, string dataDir, Action<string, string>? report = null)
    {
        var routes = new List<Route>();
        var items = root.GetValue("actor-gateway.routes")?.GetArray() ?? [];
        var index = 0;
        foreach (var item in items)
        {
            index++;
            var c = new Config(new HoconRoot(item));
            var name = c.GetString("name", $"route-{index}");
            var domains = c.GetStringList("domains")?.Select(d => d.Trim().ToLowerInvariant()).Where(d => d.Length > 0).ToList() ?? [];
            if (domains.Count == 0) throw new ConfigurationException($"route '{name}' covers no domains");
            var kind = c.GetString("profile.kind", "profs");
            IAddressProfile profile = kind switch
            {
                "profs" => LoadProfs(c, name, dataDir, report),
                "smtp-rewrite" => LoadSmtpRewrite(c, name),
                _ => throw new ConfigurationException($"route '{name}': unknown profile kind '{kind}' (known: profs, smtp-rewrite)"),
            };
            var transport = c.GetString("transport", "spool");
            routes.Add(new Route(name, domains, profile, transport, c.GetBoolean("notify-sender", false),
                GatewaySettings.ParseClassification(c.GetConfig("classification"))));
        }
        return new RouteTable(routes);
    }

    /// <summary>The directory files the routes read, so a reloader can watch them.</summary>
    public static IReadOnlyList<string> DirectoryFiles(Config root, string dataDir) =>
        (root.GetValue("actor-gateway.routes")?.GetArray() ?? [])
            .Select(item => new Config(new HoconRoot(item)).GetString("profile.directory", null))
            .Where(f => !string.IsNullOrWhiteSpace(f))
            .Select(f => Path.GetFullPath(Path.Combine(dataDir, f!)))
            .Distinct()
            .ToList();

    /// <summary>The directory file route <paramref name="routeName"/> reads (full path), or null when it has none.</summary>
    public static string? DirectoryFile(Config root, string dataDir, string routeName)
    {
        var index = 0;
        foreach (var item in root.GetValue("actor-gateway.routes")?.GetArray() ?? [])
        {
            index++;
            var c = new Config(new HoconRoot(item));
            if (c.GetString("name", $"route-{index}") != routeName) continue;
            var file = c.GetString("profile.directory", null);
            return string.IsNullOrWhiteSpace(file) ? null : Path.GetFullPath(Path.Combine(dataDir, file));
        }
        return null;
    }

    private static ProfsAddressProfile LoadProfs(Config c, string name, string dataDir, Action<string, string>? report)
    {
        const int maxLength = 8;
        return Build(name, () => new ProfsAddressProfile(
            c.GetString("profile.node", "").ToUpperInvariant(),
            UserIdTemplate.Parse(c.GetString("profile.template", UserIdTemplate.Default)),
            LoadDirectory(c, name, dataDir, maxLength, report),
            maxLength));
    }

    private static SmtpRewriteProfile LoadSmtpRewrite(Config c, string name)
    {
        if (c.HasPath("profile.directory")) throw new ConfigurationException($"route '{name}': smtp-rewrite profiles take no directory");
        return Build(name, () => new SmtpRewriteProfile(c.GetString("profile.domain", ""), c.GetString("profile.local-part", "{local}")));
    }

    private static T Build<T>(string route, Func<T> build)
    {
        try
        {
            return build();
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException($"route '{route}': {ex.Message}");
        }
    }

    private static AddressDirectory LoadDirectory(Config c, string name, string dataDir, int maxLength, Action<string, string>? report)
    {
        var file = c.GetString("profile.directory", null);
        if (string.IsNullOrWhiteSpace(file)) return AddressDirectory.Empty;
        var path = Path.GetFullPath(Path.Combine(dataDir, file));
        if (!File.Exists(path))
        {
            report?.Invoke(ReasonCodes.DirectoryMissing, $"{path}: directory file not found; route '{name}' maps by template only");
            return AddressDirectory.Empty;
        }
        var directory = AddressDirectory.Parse(File.ReadAllText(path), maxLength, out var problems);
        foreach (var p in problems) report?.Invoke(ReasonCodes.DirectoryLineSkipped, $"{path}:{p.LineNumber}: {p.Reason}");
        return directory;
    }
}
