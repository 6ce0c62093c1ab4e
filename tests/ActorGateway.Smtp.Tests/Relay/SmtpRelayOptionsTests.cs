using ActorGateway.Smtp.Relay;
using Akka.Configuration;
using MailKit.Security;

namespace ActorGateway.Smtp.Tests.Relay;

public sealed class SmtpRelayOptionsTests
{
    [Fact]
    public void Should_read_every_setting_from_hocon()
    {
        var options = SmtpRelayOptions.FromConfig(ConfigurationFactory.ParseString("""
            name = relay-a
            host = smarthost.example.com
            port = 587
            tls = starttls-when-available
            username = gateway
            password = "s3cret"
            timeout = 15s
            max-idle = 2m
            max-connections = 4
            helo-name = gw.example.com
            """));

        Assert.Equal("relay-a", options.Name);
        Assert.Equal("smarthost.example.com", options.Host);
        Assert.Equal(587, options.EffectivePort);
        Assert.Equal(SecureSocketOptions.StartTlsWhenAvailable, options.SecureSocketOptions);
        Assert.Equal("gateway", options.Username);
        Assert.Equal("s3cret", options.Password);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.MaxIdle);
        Assert.Equal(4, options.MaxConnections);
        Assert.Equal("gw.example.com", options.HeloName);
        Assert.Equal("smtp://smarthost.example.com:587", options.Endpoint);
    }

    [Fact]
    public void Should_default_everything_but_the_host()
    {
        var options = SmtpRelayOptions.FromConfig(ConfigurationFactory.ParseString("host = 10.0.0.5"));

        Assert.Equal("smtp", options.Name);
        Assert.Equal(25, options.EffectivePort);
        Assert.Equal(SmtpRelayTls.StartTls, options.Tls);
        Assert.Null(options.Username);
        Assert.Null(options.Password);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxIdle);
        Assert.Equal(2, options.MaxConnections);
        Assert.Null(options.HeloName);
    }

    [Theory]
    [InlineData("none", SecureSocketOptions.None, 25)]
    [InlineData("starttls", SecureSocketOptions.StartTls, 25)]
    [InlineData("STARTTLS-WHEN-AVAILABLE", SecureSocketOptions.StartTlsWhenAvailable, 25)]
    [InlineData("implicit", SecureSocketOptions.SslOnConnect, 465)]
    public void Should_map_each_tls_mode_to_MailKit(string tls, SecureSocketOptions expected, int defaultPort)
    {
        var options = SmtpRelayOptions.FromConfig(ConfigurationFactory.ParseString($"host = h\ntls = {tls}"));

        Assert.Equal(expected, options.SecureSocketOptions);
        Assert.Equal(defaultPort, options.EffectivePort);
    }

    [Theory]
    [InlineData("port = 25", "actor-gateway.smtp-relay.host is required")]
    [InlineData("host = \"  \"", "actor-gateway.smtp-relay.host is required")]
    [InlineData("host = h\ntls = ssl", "actor-gateway.smtp-relay.tls must be one of none, starttls, starttls-when-available, implicit; was 'ssl'")]
    [InlineData("host = h\nport = 70000", "actor-gateway.smtp-relay.port must be an integer from 0 to 65535, was '70000'")]
    [InlineData("host = h\nport = twenty-five", "actor-gateway.smtp-relay.port must be an integer from 0 to 65535")]
    [InlineData("host = h\nusername = u", "actor-gateway.smtp-relay.password is required when actor-gateway.smtp-relay.username is set")]
    [InlineData("host = h\ntimeout = 0s", "actor-gateway.smtp-relay.timeout must be positive")]
    [InlineData("host = h\nmax-idle = soon", "actor-gateway.smtp-relay.max-idle must be a duration")]
    [InlineData("host = h\nmax-connections = 0", "actor-gateway.smtp-relay.max-connections must be an integer from 1 to 100")]
    public void Should_name_the_setting_when_it_is_invalid(string hocon, string message)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SmtpRelayOptions.FromConfig(ConfigurationFactory.ParseString(hocon)));

        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public void Should_say_the_section_is_missing()
    {
        var ex = Assert.Throws<ConfigurationException>(() =>
            SmtpRelayOptions.FromConfig(ConfigurationFactory.ParseString("other = 1").GetConfig("relay"), "actor-gateway.relay"));

        Assert.Equal("actor-gateway.relay: the section is missing (host is required)", ex.Message);
    }
}
