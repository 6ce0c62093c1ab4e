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
                _ => throw new ConfigurationException($"route '{name}': unknown profile kind '{kind}' (known: profs)"),
            };
            routes.Add(new Route(name, domains, profile));
        }
        return new RouteTable(routes);
    }

    private static ProfsAddressProfile LoadProfs(Config c, string name, string dataDir, Action<string, string>? report)
    {
        const int maxLength = 8;
        UserIdTemplate template;
        try
        {
            template = UserIdTemplate.Parse(c.GetString("profile.template", UserIdTemplate.Default));
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException($"route '{name}': {ex.Message}");
        }

        var directory = AddressDirectory.Empty;
        var file = c.GetString("profile.directory", null);
        if (!string.IsNullOrWhiteSpace(file))
        {
            var path = Path.GetFullPath(Path.Combine(dataDir, file));
            if (File.Exists(path))
            {
                directory = AddressDirectory.Parse(File.ReadAllText(path), maxLength, out var problems);
                foreach (var p in problems) report?.Invoke(ReasonCodes.DirectoryLineSkipped, $"{path}:{p.LineNumber}: {p.Reason}");
            }
            else
            {
                report?.Invoke(ReasonCodes.DirectoryMissing, $"{path}: directory file not found; route '{name}' maps by template only");
            }
        }

        try
        {
            return new ProfsAddressProfile(c.GetString("profile.node", "").ToUpperInvariant(), template, directory, maxLength);
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException($"route '{name}': {ex.Message}");
        }
    }
}
