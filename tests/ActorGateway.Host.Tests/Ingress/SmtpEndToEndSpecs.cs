using System.Text;
using System.Text.RegularExpressions;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Smtp.Tests.Relay;
using MailKit.Net.Smtp;
using MimeKit;

namespace ActorGateway.Host.Tests.Ingress;

/// <summary>
/// Real mail in and out: MailKit → our ESMTP listener in the real <c>gateway run</c> → journal →
/// SMTP relay → a downstream server that is not ours (the SmtpServer library, in this test process).
/// </summary>
public sealed partial class SmtpEndToEndSpecs : IAsyncLifetime
{
    private readonly TempDir _tmp = new();
    private RelayScriptedSmtpServer _downstream = null!;
    private GatewayProcess _gateway = null!;
    private int _smtpPort;

    public async Task InitializeAsync()
    {
        _downstream = await RelayScriptedSmtpServer.StartAsync(_tmp.Path);
        var config = _tmp.Sub("site.conf");
        await File.WriteAllTextAsync(config, $$"""
            actor-gateway {
              smtp-relay { host = "127.0.0.1", port = {{_downstream.Port}}, tls = none, timeout = 10s }
              dsn { transport = "smtp", reporting-mta = "gateway.test" }
              supervision { transient-retry-min = 200ms, transient-retry-max = 1s }
              routes = [
                { name = "partners", domains = ["contoso.com"], transport = "smtp", notify-sender = on
                  profile { kind = "smtp-rewrite", domain = "relay.example", local-part = "{given}.{surname}" } }
              ]
            }
            """);
        _gateway = GatewayProcess.Start("run", "--data-dir", _tmp.Sub("data"), "--config", config, "--smtp-listen", "127.0.0.1:0", "--admin-listen", "off");
        await Wait.UntilAsync(() => ListeningPort().IsMatch(_gateway.Output) || _gateway.HasExited, TimeSpan.FromSeconds(60), () => _gateway.Output);
        Assert.False(_gateway.HasExited, _gateway.Output);
        _smtpPort = int.Parse(ListeningPort().Match(_gateway.Output).Groups[1].Value);
    }

    private async Task<string> SendAsync(string from, string mailFrom, params (string Name, string Address)[] to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var (name, address) in to) message.To.Add(new MailboxAddress(name, address));
        message.Subject = "end to end";
        message.Body = new TextPart("plain") { Text = "Hello through the gateway." };
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", _smtpPort, MailKit.Security.SecureSocketOptions.None);
        // An empty address is MailKit's MAIL FROM:<> (the null sender of bounces).
        var sender = mailFrom.Length == 0 ? new MailboxAddress("", "") : MailboxAddress.Parse(mailFrom);
        var reply = await client.SendAsync(message, sender, to.Select(t => new MailboxAddress(t.Name, t.Address)));
        await client.DisconnectAsync(true);
        return reply;
    }

    [Fact]
    public async Task Should_deliver_through_the_relay_dead_letter_the_bad_recipients_and_send_one_dsn()
    {
        var reply = await SendAsync("bob@fabrikam.com", "bob@fabrikam.com",
            ("Alice Smith", "alice@contoso.com"), ("   ", "ghost@contoso.com"), ("Refuse Me", "rm@contoso.com"));
        Assert.Matches("Ok: queued as [0-9a-f]{32}", reply);

        // The message for Alice, and the DSN to Bob, arrive downstream.
        await Wait.UntilAsync(() => _downstream.ReadMessages().Count >= 2, TimeSpan.FromSeconds(60), () => _gateway.Output);
        var messages = _downstream.ReadMessages();
        var mail = Assert.Single(messages, m => m.MailFrom == "bob@fabrikam.com");
        Assert.Equal(["alice.smith@relay.example"], mail.RcptTos);
        var dsn = Assert.Single(messages, IsFromNullSender);
        Assert.Equal(["bob@fabrikam.com"], dsn.RcptTos);
        var report = Encoding.UTF8.GetString(dsn.Content);
        Assert.Contains("Final-Recipient: rfc822; ghost@contoso.com", report);
        Assert.Contains("Final-Recipient: rfc822; refuse.me@relay.example", report);
        Assert.Contains("550 5.1.1", report);
        Assert.DoesNotContain("Final-Recipient: rfc822; alice.smith@relay.example", report);
        await Wait.UntilAsync(() => _gateway.Output.Contains("GW-DSN-SENT"), TimeSpan.FromSeconds(30), () => _gateway.Output);
    }

    [Fact]
    public async Task Should_never_send_a_dsn_for_mail_from_the_null_sender()
    {
        var reply = await SendAsync("carol@fabrikam.com", "", ("   ", "ghost@contoso.com"), ("Alice Smith", "alice@contoso.com"));
        Assert.Matches("Ok: queued as", reply);

        await Wait.UntilAsync(() => _downstream.ReadMessages().Count >= 1, TimeSpan.FromSeconds(60), () => _gateway.Output);
        await Wait.UntilAsync(() => _gateway.Output.Contains("GW-DEAD-LETTERED"), TimeSpan.FromSeconds(30), () => _gateway.Output);
        await Task.Delay(1000); // a DSN, if one were (wrongly) sent, goes out right after the dead-letter record

        Assert.DoesNotContain(_downstream.ReadMessages(), IsFromNullSender);
        Assert.DoesNotContain("GW-DSN-SENT", _gateway.Output);
    }

    /// <summary>The scripted peer records MAIL FROM:&lt;&gt; as "&lt;&gt;".</summary>
    private static bool IsFromNullSender(RelayReceivedMessage m) => m.MailFrom is "" or "<>";

    public async Task DisposeAsync()
    {
        _gateway.Terminate();
        await _gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _gateway.Dispose();
        await _downstream.DisposeAsync();
        _tmp.Dispose();
    }

    [GeneratedRegex(@"GW-SMTP-LISTENING SMTP listener on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPort();
}
