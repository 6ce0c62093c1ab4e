using ActorGateway.Testing;

namespace ActorGateway.Host.Tests.Support;

/// <summary>The skip-or-fail rule itself: a missing dependency skips outside CI and fails under CI=true.</summary>
[Collection(EnvironmentVariableCollection.Name)]
public sealed class ExternalDependencyTests
{
    [Fact]
    public void Should_do_nothing_when_the_dependency_is_usable()
    {
        using var _ = new CiVariable("true");
        ExternalDependency.Require("PostgreSQL", missing: null);
    }

    [Fact]
    public void Should_skip_with_the_reason_when_the_dependency_is_missing_outside_ci()
    {
        using var _ = new CiVariable(null);
        var ex = Assert.Throws<SkipException>(() => ExternalDependency.Require("chromium (apt-get install chromium)", "/usr/bin/chromium does not exist"));
        Assert.Contains("chromium (apt-get install chromium)", ex.Message);
        Assert.Contains("/usr/bin/chromium does not exist", ex.Message);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("TRUE")]
    public void Should_fail_not_skip_when_the_dependency_is_missing_under_ci(string value)
    {
        using var _ = new CiVariable(value);
        var ex = Assert.Throws<InvalidOperationException>(() => ExternalDependency.Require("PostgreSQL", "pg_ctl not found"));
        Assert.Contains("CI=true", ex.Message);
        Assert.Contains("pg_ctl not found", ex.Message);
    }

    private sealed class CiVariable : IDisposable
    {
        private readonly string? _old = Environment.GetEnvironmentVariable("CI");

        public CiVariable(string? value) => Environment.SetEnvironmentVariable("CI", value);

        public void Dispose() => Environment.SetEnvironmentVariable("CI", _old);
    }
}

/// <summary>Tests that set process environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentVariableCollection
{
    public const string Name = "environment variables";
}
