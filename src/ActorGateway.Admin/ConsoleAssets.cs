using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGateway.Admin;

/// <summary>
/// The operator console: static files (plain HTML, CSS and JavaScript, no build step) embedded in this assembly
/// from <c>Console/</c> and served by the admin listener at <c>/</c> and <c>/console/…</c>. The page calls the
/// admin API only. Every console answer carries a strict Content-Security-Policy (scripts and styles from this
/// origin only, no inline script, connections to this origin only, no framing).
/// </summary>
public static class ConsoleAssets
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>For API answers: nothing in them may load or run anything, nor be framed.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    private static readonly IReadOnlyDictionary<string, (string Resource, string ContentType)> Files = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["index.html"] = ("index.html", "text/html; charset=utf-8"),
        ["app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["console.css"] = ("console.css", "text/css; charset=utf-8"),
        ["favicon.svg"] = ("favicon.svg", "image/svg+xml"),
    };

    private static readonly Dictionary<string, byte[]> Cache = Files.ToDictionary(kv => kv.Key, kv => Load(kv.Value.Resource), StringComparer.Ordinal);

    /// <summary>Whether <paramref name="path"/> is the console's (the loopback rule without a token covers it like the API).</summary>
    public static bool IsConsolePath(PathString path) => path == "/" || path.StartsWithSegments("/console");

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html"));
        app.MapGet("/console/{file}", (HttpContext http, string file) => Serve(http, file));
    }

    private static IResult Serve(HttpContext http, string file)
    {
        if (!Files.TryGetValue(file, out var f)) return Problems.NotFound(Domain.ReasonCodes.AdminNotFound, $"no console file {file}");
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        // The console is small and changes with the service: always revalidated, never stale after an upgrade.
        headers.CacheControl = "no-cache";
        return Results.Bytes(Cache[file], f.ContentType);
    }

    private static byte[] Load(string resource)
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        using var stream = assembly.GetManifestResourceStream("ActorGateway.Admin.Console." + resource)
                           ?? throw new InvalidOperationException($"console file {resource} is not embedded in {assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
