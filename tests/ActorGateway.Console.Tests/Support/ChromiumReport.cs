using ActorGateway.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ActorGateway.Console.Tests.Support;

/// <summary>
/// Prints, once per run, why the browser specs are skipped: the runner's default output names a skipped test but
/// not its reason. It goes out as an xUnit diagnostic message (xunit.runner.json turns those on), so
/// <c>dotnet test</c> shows it. Under <c>CI=true</c> nothing is skipped: the specs fail instead.
/// </summary>
public sealed class ChromiumReport
{
    public ChromiumReport(IMessageSink diagnostics)
    {
        if (ConsoleSession.ChromiumMissing() is { } missing && !ExternalDependency.UnderCi)
            diagnostics.OnMessage(new DiagnosticMessage($"skipping the browser specs: {ConsoleSession.Dependency} is not usable here ({missing}); under CI=true they run and fail instead"));
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumReport>
{
    public const string Name = "browser";
}
