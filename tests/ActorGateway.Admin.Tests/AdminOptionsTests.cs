using System.Net;
using Akka.Configuration;
using ActorGateway.Domain;

namespace ActorGateway.Admin.Tests;

public class AdminOptionsTests
{
    private static Config Hocon(string text) => ConfigurationFactory.ParseString(text);

    [Fact]
    public void Should_default_to_loopback_port_8025_without_a_token()
    {
        var options = AdminOptions.FromConfig(Hocon(""), environment: _ => null);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8025), options.EndPoint);
        Assert.Null(options.Token);
        Assert.True(options.IsLoopback);
    }

    [Fact]
    public void Should_take_the_token_from_the_environment_over_hocon()
    {
        var options = AdminOptions.FromConfig(Hocon("actor-gateway.admin.token = \"from-hocon-0123456789\""),
            environment: name => name == AdminOptions.TokenEnvironmentVariable ? "from-env-0123456789ab" : null);

        Assert.Equal("from-env-0123456789ab", options.Token);
    }

    [Fact]
    public void Should_refuse_a_non_loopback_listener_without_a_token()
    {
        var ex = Assert.Throws<AdminConfigurationException>(() => AdminOptions.FromConfig(Hocon(""), "0.0.0.0:8025", _ => null));

        Assert.Equal(ReasonCodes.AdminTokenRequired, ex.Code);
        Assert.Contains(AdminOptions.TokenEnvironmentVariable, ex.Message);
    }

    [Fact]
    public void Should_accept_a_non_loopback_listener_with_a_token()
    {
        var options = AdminOptions.FromConfig(Hocon("actor-gateway.admin { listen = \"*:9000\", token = \"0123456789abcdef0123\" }"), environment: _ => null);

        Assert.Equal(new IPEndPoint(IPAddress.Any, 9000), options.EndPoint);
        Assert.False(options.IsLoopback);
    }

    [Fact]
    public void Should_refuse_a_short_token()
    {
        var ex = Assert.Throws<AdminConfigurationException>(() => AdminOptions.FromConfig(Hocon("actor-gateway.admin.token = short"), environment: _ => null));

        Assert.Equal(ReasonCodes.AdminTokenRequired, ex.Code);
    }

    [Theory]
    [InlineData("off", null)]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("localhost:8025", "127.0.0.1:8025")]
    [InlineData("[::1]:8025", "[::1]:8025")]
    public void Should_parse_listen_addresses(string text, string? expected)
    {
        Assert.Equal(expected, AdminOptions.ParseListen(text)?.ToString());
    }

    [Theory]
    [InlineData("8025")]
    [InlineData("example.com:8025")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("::1:8025")]
    public void Should_refuse_malformed_listen_addresses(string text)
    {
        Assert.Throws<FormatException>(() => AdminOptions.ParseListen(text));
    }

    [Fact]
    public void Should_read_pacing_settings()
    {
        var options = AdminOptions.FromConfig(Hocon("actor-gateway.admin { replay-rate = 25, max-outstanding = 7, retry-delay = 250ms }"), environment: _ => null);

        Assert.Equal(25, options.ReplayRate);
        Assert.Equal(7, options.MaxOutstanding);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.RetryDelay);
    }
}
