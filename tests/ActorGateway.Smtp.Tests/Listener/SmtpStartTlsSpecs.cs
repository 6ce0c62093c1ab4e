using System.Net.Security;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;
using MailKit.Security;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>STARTTLS (RFC 3207) with a configured certificate, PKCS#12 or PEM.</summary>
public sealed class SmtpStartTlsSpecs : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Theory]
    [InlineData("pfx")]
    [InlineData("pem")]
    public async Task Should_deliver_a_MailKit_message_over_STARTTLS(string format)
    {
        await using var server = await TestSmtpServer.StartAsync(o => WithCertificate(o, format));
        using var client = await server.ConnectMailKitAsync(SecureSocketOptions.StartTls);

        var response = await client.SendAsync(TestSmtpServer.Message("secret", "over TLS", "a@example.com"));
        var secure = client.IsSecure;
        await client.DisconnectAsync(quit: true);

        Assert.True(secure);
        Assert.Equal("2.0.0 Ok: queued as q1", response);
        Assert.Single(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_offer_STARTTLS_once_discard_pipelined_plaintext_and_start_the_session_over()
    {
        await using var server = await TestSmtpServer.StartAsync(o => WithCertificate(o, "pfx"));
        await using var client = await server.ConnectAsync();
        var before = await client.EhloAsync();
        Assert.Contains("STARTTLS", before.Lines);
        Assert.Equal(250, (await client.CommandAsync("MAIL FROM:<a@client.test>")).Code);

        // Injected plaintext after STARTTLS (CVE-2011-0411) must not be executed after the handshake.
        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        var ready = await client.ReadReplyAsync();
        Assert.True(ready!.Is(220, "2.0.0"), ready.ToString());
        var tls = new SslStream(client.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mx.gateway.test" });
        client.UseStream(tls);

        var mailBeforeEhlo = await client.CommandAsync("MAIL FROM:<a@client.test>");
        var after = await client.EhloAsync();
        var again = await client.CommandAsync("STARTTLS");

        Assert.True(mailBeforeEhlo.Is(503, "5.5.1"), mailBeforeEhlo.ToString());
        Assert.DoesNotContain("STARTTLS", after.Lines);
        Assert.True(again.Is(503, "5.5.1"), again.ToString());
        Assert.Equal(221, (await client.CommandAsync("QUIT")).Code);
    }

    [Fact]
    public async Task Should_survive_a_failed_handshake()
    {
        await using var server = await TestSmtpServer.StartAsync(o => WithCertificate(o, "pfx"));
        await using (var client = await server.ConnectAsync())
        {
            await client.EhloAsync();
            Assert.Equal(220, (await client.CommandAsync("STARTTLS")).Code);
            await client.SendAsync("this is not a TLS ClientHello\r\n");
            await client.ReadUntilClosedAsync();
        }

        await server.WaitForNoSessionsAsync();
        Assert.Single(server.Log.WithCode(SmtpLogCodes.TlsFailed));
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_not_start_with_a_certificate_it_cannot_read()
    {
        var options = TestSmtpServer.DefaultOptions with { CertificatePath = Path.Combine(_certificates.Directory, "missing.pfx") };

        await Assert.ThrowsAnyAsync<Exception>(() => SmtpServer.StartAsync(options, new FakeMessageSink(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
    }

    private SmtpListenerOptions WithCertificate(SmtpListenerOptions options, string format) => format == "pfx"
        ? options with { CertificatePath = _certificates.PfxPath, CertificatePassword = TestCertificates.PfxPassword }
        : options with { CertificatePath = _certificates.PemCertificatePath, CertificateKeyPath = _certificates.PemKeyPath };

    public void Dispose() => _certificates.Dispose();
}
