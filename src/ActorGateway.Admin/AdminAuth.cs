using System.Security.Cryptography;
using System.Text;
using ActorGateway.Domain;
using Microsoft.AspNetCore.Http;

namespace ActorGateway.Admin;

/// <summary>What an endpoint does: reads show the journal and quarantine, mutations change them.</summary>
public enum AdminAccess
{
    Read,
    Mutate,
}

/// <summary>
/// Bearer-token check for <c>/api/</c> endpoints.
/// <list type="bullet">
/// <item>A token is configured: every API call needs <c>Authorization: Bearer TOKEN</c>; none or a malformed header is 401 (with
/// <c>WWW-Authenticate: Bearer</c>), a wrong token 403. Compared in constant time.</item>
/// <item>No token (possible only on a loopback listener): reads are open, as the local journal is to
/// <c>gateway journal --data-dir</c>; mutations are refused with 403 <c>GW-ADMIN-TOKEN-REQUIRED</c>.</item>
/// </list>
/// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> carry no message data and are always open, for probes and scrapers.
/// </summary>
public sealed class AdminAuth(string? token)
{
    public const string Realm = "actor-gateway";
    private readonly byte[]? _tokenHash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Null when the request may go on; otherwise the problem to answer with.</summary>
    public IResult? Check(HttpRequest request, AdminAccess access)
    {
        if (_tokenHash is null)
        {
            return access == AdminAccess.Read
                ? null
                : Problems.Of(StatusCodes.Status403Forbidden, ReasonCodes.AdminTokenRequired, "No admin token configured",
                    $"changes need a bearer token; set {AdminOptions.TokenEnvironmentVariable} (or actor-gateway.admin.token) for the service and the CLI, and restart the service");
        }
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (header.Length <= scheme.Length || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.AsSpan(scheme.Length).Trim().Length == 0)
        {
            return new Challenge(Problems.Of(StatusCodes.Status401Unauthorized, ReasonCodes.AdminUnauthorized, "Unauthorized",
                $"send 'Authorization: Bearer TOKEN' (the CLI reads {AdminOptions.TokenEnvironmentVariable})"), $"Bearer realm=\"{Realm}\"");
        }
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        // Hashes have equal length, so the comparison takes the same time whatever the presented token is.
        return CryptographicOperations.FixedTimeEquals(presented, _tokenHash)
            ? null
            : new Challenge(Problems.Of(StatusCodes.Status403Forbidden, ReasonCodes.AdminForbidden, "Forbidden", "the bearer token is not the admin token"),
                $"Bearer realm=\"{Realm}\", error=\"invalid_token\"");
    }

    /// <summary>An endpoint filter applying <see cref="Check"/>.</summary>
    public Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Filter(AdminAccess access) =>
        async (context, next) => Check(context.HttpContext.Request, access) is { } denied ? denied : await next(context);

    private sealed class Challenge(IResult inner, string header) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = header;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
