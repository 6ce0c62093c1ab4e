using System.Net;
using Akka.Configuration;
using ActorGateway.Smtp.Listener;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>The actor-gateway.smtp HOCON section and the listen address syntax.</summary>
public sealed class SmtpListenerOptionsSpecs
{
    [Theory]
    [InlineData("127.0.0.1:2525", "127.0.0.1", 2525)]
    [InlineData(" 0.0.0.0:25 ", "0.0.0.0", 25)]
    [InlineData("[::1]:25", "::1", 25)]
    [InlineData("[::]:587", "::", 587)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    [InlineData("LOCALHOST:65535", "127.0.0.1", 65535)]
    [InlineData("*:2525", "0.0.0.0", 2525)]
    public void Should_parse_HOST_PORT(string text, string address, int port)
    {
        var endPoint = SmtpListenerOptions.ParseEndPoint(text);

        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData("", "not HOST:PORT")]
    [InlineData("127.0.0.1", "not HOST:PORT")]
    [InlineData("127.0.0.1:", "not a port number")]
    [InlineData("127.0.0.1:65536", "not a port number")]
    [InlineData("127.0.0.1:-1", "not a port number")]
    [InlineData("127.0.0.1:25x", "not a port number")]
    [InlineData(":25", "not HOST:PORT")]
    [InlineData("::1:25", "without brackets")]
    [InlineData("[::1]", "not HOST:PORT")]
    [InlineData("[127.0.0.1]:25", "not an IPv6 address")]
    [InlineData("mail.example.com:25", "host names are not resolved")]
    [InlineData("10.1:25", "not an IPv4 address")]
    public void Should_explain_a_bad_listen_address(string text, string because)
    {
        var ex = Assert.Throws<FormatException>(() => SmtpListenerOptions.ParseEndPoint(text));

        Assert.Contains(because, ex.Message);
    }

    [Fact]
    public void Should_read_every_setting_from_the_section()
    {
        var config = ConfigurationFactory.ParseString("""
            actor-gateway.smtp {
              listen = "[::1]:2526"
              hostname = "mx.contoso.com"
              max-recipients = 50
              max-line-length = 1024
              max-data-line-length = 2000
              command-timeout = 2m
              data-timeout = 90s
              max-sessions = 20
              max-errors = 5
              shutdown-timeout = 3s
              tls { certificate = "/etc/gateway/smtp.crt", key = "/etc/gateway/smtp.key", password = "" }
            }
            """);

        var options = SmtpListenerOptions.FromConfig(config.GetConfig("actor-gateway.smtp"), maxMessageBytes: 1234);

        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 2526), options.EndPoint);
        Assert.Equal("mx.contoso.com", options.HostName);
        Assert.Equal(1234, options.MaxMessageBytes);
        Assert.Equal(50, options.MaxRecipients);
        Assert.Equal(1024, options.MaxCommandLineLength);
        Assert.Equal(2000, options.MaxDataLineLength);
        Assert.Equal(TimeSpan.FromMinutes(2), options.CommandTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), options.DataTimeout);
        Assert.Equal(20, options.MaxSessions);
        Assert.Equal(5, options.MaxErrors);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ShutdownTimeout);
        Assert.Equal("/etc/gateway/smtp.crt", options.CertificatePath);
        Assert.Equal("/etc/gateway/smtp.key", options.CertificateKeyPath);
        Assert.Null(options.CertificatePassword);
        Assert.True(options.TlsEnabled);
    }

    [Fact]
    public void Should_keep_the_defaults_for_missing_settings()
    {
        var options = SmtpListenerOptions.FromConfig(ConfigurationFactory.ParseString("listen = \"127.0.0.1:2525\""));

        Assert.Equal(new SmtpListenerOptions(), options);
        Assert.Equal(100, options.MaxRecipients);
        Assert.Equal(512, options.MaxCommandLineLength);
        Assert.Equal(1000, options.MaxDataLineLength);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CommandTimeout);
        Assert.Equal(100, options.MaxSessions);
        Assert.Equal(10, options.MaxErrors);
        Assert.False(options.TlsEnabled);
        Assert.Equal(new SmtpListenerOptions(), SmtpListenerOptions.FromConfig(null));
    }

    [Theory]
    [InlineData("listen = \"nowhere\"", "actor-gateway.smtp.listen")]
    [InlineData("max-recipients = 0", "max-recipients")]
    [InlineData("max-line-length = 100", "max-line-length")]
    [InlineData("max-data-line-length = 999", "max-data-line-length")]
    [InlineData("command-timeout = 0s", "command-timeout")]
    [InlineData("max-sessions = 0", "max-sessions")]
    [InlineData("max-errors = 0", "max-errors")]
    [InlineData("hostname = \"bad host\"", "hostname")]
    [InlineData("tls.key = \"/k.pem\"", "tls.key")]
    public void Should_name_the_setting_that_is_invalid(string hocon, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SmtpListenerOptions.FromConfig(ConfigurationFactory.ParseString(hocon)));

        Assert.Contains(key, ex.Message);
    }
}
