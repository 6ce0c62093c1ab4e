using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Host.Cli;

/// <summary>Renders the effective route table for <c>gateway routes</c>.</summary>
public static class RoutesView
{
    private static JsonObject Describe(Route route)
    {
        var o = new JsonObject
        {
            ["name"] = route.Name,
            ["domains"] = new JsonArray(route.Domains.Select(d => (JsonNode)d!).ToArray()),
            ["transport"] = route.Transport,
            ["notifySender"] = route.NotifySender,
            ["profile"] = route.Profile.Kind,
        };
        switch (route.Profile)
        {
            case ProfsAddressProfile p:
                o["node"] = p.Node;
                o["template"] = p.Template.Text;
                o["directoryEntries"] = p.Directory.Count;
                break;
            case SmtpRewriteProfile s:
                o["domain"] = s.Domain;
                o["localPart"] = s.Template;
                break;
        }
        return o;
    }

    public static string Json(RouteTable table) =>
        new JsonObject { ["routes"] = new JsonArray(table.Routes.Select(r => (JsonNode)Describe(r)).ToArray()) }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public static void Table(TextWriter output, RouteTable table, IReadOnlyList<string> problems)
    {
        output.WriteLine($"{"#",-3} {"ROUTE",-12} {"DOMAINS",-28} {"PROFILE",-13} {"TARGET",-40} {"TRANSPORT",-10} NOTIFY");
        var i = 0;
        foreach (var r in table.Routes)
        {
            var target = r.Profile switch
            {
                ProfsAddressProfile p => $"USERID@{p.Node} via {p.Template.Text}, directory {p.Directory.Count} entr{(p.Directory.Count == 1 ? "y" : "ies")}",
                SmtpRewriteProfile s => $"{s.Template}@{s.Domain}",
                _ => "",
            };
            output.WriteLine($"{++i,-3} {r.Name,-12} {string.Join(",", r.Domains),-28} {r.Profile.Kind,-13} {target,-40} {r.Transport,-10} {(r.NotifySender ? "on" : "off")}");
        }
        output.WriteLine();
        output.WriteLine("The first route whose domains cover a recipient's domain maps it; a recipient no route covers is GW-NO-ROUTE.");
        foreach (var p in problems) output.WriteLine($"warning {p}");
    }
}
