using Akka.Configuration;
using ActorGateway.Domain.Failures;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// The <c>actor-gateway.circuit-breaker</c> HOCON section, typed. Every setting is optional; a missing
/// one takes the default of <see cref="Default"/>.
/// </summary>
/// <param name="Policy">The breaker's thresholds (<c>failure-threshold</c>, <c>open-duration</c>, <c>max-open-duration</c>, <c>probe-timeout</c>).</param>
/// <param name="MaxParked">Requests parked per transport while its circuit is open (<c>max-parked</c>); beyond it a requester is told to ask again later.</param>
public sealed record CircuitBreakerSettings(CircuitBreakerPolicy Policy, int MaxParked)
{
    public const string Section = "actor-gateway.circuit-breaker";

    public static readonly CircuitBreakerSettings Default = new(CircuitBreakerPolicy.Default, 10_000);

    /// <exception cref="ConfigurationException">A setting is out of range, named as in HOCON.</exception>
    public static CircuitBreakerSettings FromConfig(Config root)
    {
        var c = root.HasPath(Section) ? root.GetConfig(Section) : Config.Empty;
        var d = Default.Policy;
        var settings = new CircuitBreakerSettings(
            new CircuitBreakerPolicy(
                FailureThreshold: c.GetInt("failure-threshold", d.FailureThreshold),
                OpenDuration: c.GetTimeSpan("open-duration", d.OpenDuration, allowInfinite: false),
                MaxOpenDuration: c.GetTimeSpan("max-open-duration", d.MaxOpenDuration, allowInfinite: false),
                ProbeTimeout: c.GetTimeSpan("probe-timeout", d.ProbeTimeout, allowInfinite: false)),
            MaxParked: c.GetInt("max-parked", Default.MaxParked));
        var problem = settings.Policy.Problem() ?? (settings.MaxParked < 1 ? "max-parked must be at least 1" : null);
        return problem is null ? settings : throw new ConfigurationException($"{Section}.{problem}");
    }
}
