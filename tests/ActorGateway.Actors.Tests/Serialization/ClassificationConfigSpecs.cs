using Akka.Configuration;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain.Failures;

namespace ActorGateway.Actors.Tests.Serialization;

public sealed class ClassificationConfigSpecs
{
    [Fact]
    public void Should_read_per_stage_overrides_with_quoted_type_names()
    {
        var section = ConfigurationFactory.ParseString("""
            mapping { "System.FormatException" = permanent }
            delivery { "System.Security.Authentication.AuthenticationException" = transient, "System.InvalidOperationException" = unknown }
            """);

        var parsed = GatewaySettings.ParseClassification(section);

        Assert.Equal(FailureKind.Permanent, parsed[Stage.Mapping]["System.FormatException"]);
        Assert.Equal(FailureKind.Transient, parsed[Stage.Delivery]["System.Security.Authentication.AuthenticationException"]);
        Assert.False(parsed.ContainsKey(Stage.Notification));
    }

    [Fact]
    public void Should_refuse_an_unknown_kind_with_the_setting_named()
    {
        var section = ConfigurationFactory.ParseString("""delivery { "System.Exception" = maybe }""");

        var ex = Assert.Throws<ConfigurationException>(() => GatewaySettings.ParseClassification(section));
        Assert.Contains("classification.delivery", ex.Message);
    }
}
