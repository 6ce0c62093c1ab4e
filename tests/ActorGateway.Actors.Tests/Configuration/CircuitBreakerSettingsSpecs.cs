using Akka.Configuration;
using ActorGateway.Actors.Configuration;

namespace ActorGateway.Actors.Tests.Configuration;

public sealed class CircuitBreakerSettingsSpecs
{
    [Fact]
    public void Should_take_the_defaults_when_the_section_is_absent()
    {
        var settings = CircuitBreakerSettings.FromConfig(ConfigurationFactory.ParseString("actor-gateway.max-in-flight = 10"));

        Assert.Equal(CircuitBreakerSettings.Default, settings);
        Assert.Equal(5, settings.Policy.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Policy.OpenDuration);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.Policy.MaxOpenDuration);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Policy.ProbeTimeout);
        Assert.Equal(10_000, settings.MaxParked);
        Assert.Equal(CircuitBreakerSettings.Default, CircuitBreakerSettings.FromConfig(Config.Empty));
    }

    [Fact]
    public void Should_read_the_circuit_breaker_section()
    {
        var settings = CircuitBreakerSettings.FromConfig(ConfigurationFactory.ParseString("""
            actor-gateway.circuit-breaker {
              failure-threshold = 3
              open-duration = 10s
              max-open-duration = 5m
              probe-timeout = 45s
              max-parked = 50
            }
            """));

        Assert.Equal(3, settings.Policy.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Policy.OpenDuration);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Policy.MaxOpenDuration);
        Assert.Equal(TimeSpan.FromSeconds(45), settings.Policy.ProbeTimeout);
        Assert.Equal(50, settings.MaxParked);
    }

    [Fact]
    public void Should_keep_the_defaults_of_settings_left_out()
    {
        var settings = CircuitBreakerSettings.FromConfig(ConfigurationFactory.ParseString("actor-gateway.circuit-breaker.failure-threshold = 8"));

        Assert.Equal(CircuitBreakerSettings.Default with { Policy = CircuitBreakerSettings.Default.Policy with { FailureThreshold = 8 } }, settings);
    }

    [Theory]
    [InlineData("failure-threshold = 0", "failure-threshold")]
    [InlineData("open-duration = 0s", "open-duration")]
    [InlineData("open-duration = 1m\nmax-open-duration = 30s", "max-open-duration")]
    [InlineData("probe-timeout = 0s", "probe-timeout")]
    [InlineData("max-parked = 0", "max-parked")]
    public void Should_refuse_an_out_of_range_setting_by_its_name(string hocon, string setting)
    {
        var config = ConfigurationFactory.ParseString("actor-gateway.circuit-breaker {\n" + hocon + "\n}");

        var ex = Assert.Throws<ConfigurationException>(() => CircuitBreakerSettings.FromConfig(config));

        Assert.StartsWith("actor-gateway.circuit-breaker." + setting, ex.Message);
    }
}
