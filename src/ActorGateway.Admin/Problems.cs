using ActorGateway.Actors.Protocol;
using ActorGateway.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ActorGateway.Admin;

/// <summary>RFC 7807 problem details with the gateway's stable code in <c>code</c> (and in <c>type</c>).</summary>
public static class Problems
{
    public const string TypePrefix = "urn:actor-gateway:problem:";

    public static IResult Of(int status, string code, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Type = TypePrefix + code, Title = title, Detail = detail };
        problem.Extensions["code"] = code;
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>()) problem.Extensions[key] = value;
        return TypedResults.Problem(problem);
    }

    public static IResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, ReasonCodes.AdminBadRequest, "Bad request", detail);

    public static IResult NotFound(string code, string detail) => Of(StatusCodes.Status404NotFound, code, "Not found", detail);

    /// <summary>An operator action that did not end <see cref="OperationStatus.Done"/>, as HTTP.</summary>
    public static IResult From(OperatorProtocol.Result result) => result.Status switch
    {
        OperationStatus.NotFound => Of(StatusCodes.Status404NotFound, result.Code, "Not found", result.Detail, Id(result)),
        OperationStatus.Conflict => Of(StatusCodes.Status409Conflict, result.Code, "Conflict", result.Detail, Id(result)),
        OperationStatus.Busy => new RetryAfter(Of(StatusCodes.Status503ServiceUnavailable, result.Code, "Busy, try again", result.Detail, Id(result))),
        OperationStatus.Unavailable => new RetryAfter(Of(StatusCodes.Status503ServiceUnavailable, result.Code, "Unavailable", result.Detail, Id(result))),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.Status, "not a failure"),
    };

    private static Dictionary<string, object?> Id(OperatorProtocol.Result r) => new() { ["messageId"] = r.MessageId.Value };

    /// <summary>Adds <c>Retry-After: 1</c> to a 503.</summary>
    private sealed class RetryAfter(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = "1";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
