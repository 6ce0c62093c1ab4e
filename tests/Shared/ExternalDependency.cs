namespace ActorGateway.Testing;

/// <summary>
/// The one rule for a test that needs something the .NET SDK does not bring (PostgreSQL, chromium, a
/// Debian package): on a developer's machine without it the test is skipped and the reason is printed;
/// under <c>CI=true</c>, where <c>.ci/run</c> installs it, a missing dependency fails the test.
/// Use it from a <c>[SkippableFact]</c> or <c>[SkippableTheory]</c> (Xunit.SkippableFact).
/// </summary>
internal static class ExternalDependency
{
    /// <summary>True when the CI environment variable is <c>true</c> (any case), as <c>.ci/run</c> sets it.</summary>
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (outside CI) or fails (under CI) when <paramref name="missing"/> is not null.</summary>
    /// <param name="name">What is needed, as an operator would install it ("PostgreSQL (apt-get install postgresql)").</param>
    /// <param name="missing">Why it is not usable here, or null when it is.</param>
    public static void Require(string name, string? missing)
    {
        if (missing is null) return;
        if (UnderCi)
            throw new InvalidOperationException($"{name} is required under CI=true, and it is not usable: {missing}");
        throw new SkipException($"{name} is not usable here ({missing}); under CI=true this test runs and fails instead of skipping.");
    }
}
