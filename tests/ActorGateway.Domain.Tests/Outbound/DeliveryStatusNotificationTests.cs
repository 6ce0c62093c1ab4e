using System.Text;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Outbound;
using MimeKit;

namespace ActorGateway.Domain.Tests.Outbound;

public class DeliveryStatusNotificationTests
{
    private const string ReportingMta = "gateway.contoso.com";

    private const string Original =
        "From: \"Jane Doe\" <jane@fabrikam.com>\r\n" +
        "To: \"John Smith\" <john@contoso.com>, ada@contoso.com\r\n" +
        "Subject: Quarterly figures\r\n" +
        "Message-Id: <m1@fabrikam.com>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "The body is never returned.\r\n";

    private static readonly MessageId Id = MessageId.Parse("0196f0c2e4c97a3b8d2f4e6a8c0b1d2e");
    private static readonly DateTimeOffset Arrival = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 31, 5, TimeSpan.Zero);

    private static readonly FailedRecipient Refused = new("JSMITH@VMNODE1", ReasonCodes.RelayRecipientRefused,
        "the smart host refused the recipient", "550 5.1.1 user unknown")
    {
        OriginalRecipient = "john@contoso.com",
        RemoteMta = "smarthost.contoso.com",
    };

    private static readonly FailedRecipient Unmappable = new("ada@contoso.com", ReasonCodes.MapBlankDisplayName,
        "display name is 5 x U+0020");

    private static MultipartReport Report(MimeMessage dsn) => Assert.IsType<MultipartReport>(dsn.Body);

    private static MimeMessage Load(string text) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    private static DsnRequest Request(params FailedRecipient[] recipients) =>
        new(Id, "jane@fabrikam.com", Load(Original), Arrival, recipients);

    /// <summary>Builds, serialises and parses back, so the tests see what a receiver sees.</summary>
    private static MimeMessage BuildAndReload(DsnRequest request) =>
        MimeMessage.Load(new MemoryStream(DeliveryStatusNotification.ToBytes(DeliveryStatusNotification.Build(request, ReportingMta, Now))));

    [Fact]
    public void Should_build_a_multipart_report_with_text_status_and_headers_parts()
    {
        var dsn = BuildAndReload(Request(Refused, Unmappable));

        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Collection(report,
            part => Assert.True(part.ContentType.IsMimeType("text", "plain")),
            part => Assert.IsType<MessageDeliveryStatus>(part),
            part => Assert.IsType<TextRfc822Headers>(part));
    }

    [Fact]
    public void Should_address_it_from_MAILER_DAEMON_to_the_original_sender()
    {
        var dsn = BuildAndReload(Request(Refused));

        Assert.Equal("MAILER-DAEMON@gateway.contoso.com", Assert.IsType<MailboxAddress>(Assert.Single(dsn.From)).Address);
        Assert.Equal("jane@fabrikam.com", Assert.IsType<MailboxAddress>(Assert.Single(dsn.To)).Address);
        Assert.Equal("Undelivered Mail Returned to Sender", dsn.Subject);
        Assert.Equal(Now, dsn.Date);
        Assert.Equal($"dsn.{Id.Value}@gateway.contoso.com", dsn.MessageId);
        Assert.Equal("m1@fabrikam.com", dsn.InReplyTo);
        Assert.Equal("auto-replied", dsn.Headers[HeaderId.AutoSubmitted]);
        Assert.Equal(Id.Value, dsn.Headers[DeliveryStatusNotification.DsnForHeader]);
    }

    [Fact]
    public void Should_write_the_per_message_fields()
    {
        var status = Assert.IsType<MessageDeliveryStatus>(Report(BuildAndReload(Request(Refused)))[1]);

        var perMessage = status.StatusGroups[0];
        Assert.Equal("dns; gateway.contoso.com", perMessage["Reporting-MTA"]);
        Assert.Equal(Arrival, MimeKit.Utils.DateUtils.TryParse(perMessage["Arrival-Date"], out var date) ? date : default);
        Assert.Equal(Id.Value, perMessage["X-Gateway-Message-Id"]);
    }

    [Fact]
    public void Should_write_one_group_per_failed_recipient()
    {
        var status = Assert.IsType<MessageDeliveryStatus>(Report(BuildAndReload(Request(Refused, Unmappable)))[1]);

        // MimeKit reads the blank line after the last group back as an empty group.
        var groups = status.StatusGroups.Where(g => g.Count > 0).ToList();
        Assert.Equal(3, groups.Count);
        var refused = groups[1];
        Assert.Equal("rfc822; JSMITH@VMNODE1", refused["Final-Recipient"]);
        Assert.Equal("rfc822; john@contoso.com", refused["Original-Recipient"]);
        Assert.Equal("failed", refused["Action"]);
        Assert.Equal("5.1.1", refused["Status"]);
        Assert.Equal("dns; smarthost.contoso.com", refused["Remote-MTA"]);
        Assert.Equal("smtp; 550 5.1.1 user unknown", refused["Diagnostic-Code"]);
        Assert.Equal(ReasonCodes.RelayRecipientRefused, refused["X-Gateway-Reason"]);

        var unmappable = groups[2];
        Assert.Equal("rfc822; ada@contoso.com", unmappable["Final-Recipient"]);
        Assert.Null(unmappable["Original-Recipient"]);
        Assert.Equal("failed", unmappable["Action"]);
        Assert.Equal("5.1.3", unmappable["Status"]);
        Assert.Null(unmappable["Remote-MTA"]);
        Assert.Equal("X-Gateway; GW-MAP-BLANK-DISPLAY-NAME display name is 5 x U+0020", unmappable["Diagnostic-Code"]);
    }

    [Fact]
    public void Should_list_each_failed_recipient_with_code_and_detail_in_the_readable_part()
    {
        var text = Assert.IsType<TextPart>(Report(BuildAndReload(Request(Refused, Unmappable)))[0]).Text;

        Assert.Contains("could not be delivered to 2 recipients", text);
        Assert.Contains("<JSMITH@VMNODE1> (originally <john@contoso.com>): the smart host refused the recipient", text);
        Assert.Contains("Reason: GW-RELAY-RECIPIENT-REFUSED (status 5.1.1)", text);
        Assert.Contains("The remote server smarthost.contoso.com said: 550 5.1.1 user unknown", text);
        Assert.Contains("<ada@contoso.com>: display name is 5 x U+0020", text);
        Assert.Contains("Reason: GW-MAP-BLANK-DISPLAY-NAME (status 5.1.3)", text);
        Assert.Contains("Its subject: Quarterly figures", text);
        Assert.Contains(Id.Value, text);
    }

    [Fact]
    public void Should_return_the_original_headers_but_not_the_body()
    {
        var dsn = BuildAndReload(Request(Refused));
        var headers = Assert.IsType<TextRfc822Headers>(Report(dsn)[2]).Message;

        Assert.NotNull(headers);
        Assert.Equal("Quarterly figures", headers.Subject);
        Assert.Equal("m1@fabrikam.com", headers.MessageId);
        var bytes = Encoding.UTF8.GetString(DeliveryStatusNotification.ToBytes(dsn));
        Assert.Contains("To: \"John Smith\" <john@contoso.com>, ada@contoso.com\r\n", bytes);
        Assert.Contains("Content-Type: text/plain; charset=us-ascii\r\n", bytes);
        Assert.DoesNotContain("The body is never returned.", bytes);
    }

    [Fact]
    public void Should_build_the_same_bytes_for_the_same_input()
    {
        var first = DeliveryStatusNotification.ToBytes(DeliveryStatusNotification.Build(Request(Refused, Unmappable), ReportingMta, Now));
        var second = DeliveryStatusNotification.ToBytes(DeliveryStatusNotification.Build(Request(Refused, Unmappable), ReportingMta, Now));

        Assert.Equal(first, second);
        Assert.DoesNotContain("\n", Encoding.UTF8.GetString(first).Replace("\r\n", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_never_be_sent_about_itself()
    {
        var dsn = BuildAndReload(Request(Refused));

        Assert.False(DeliveryStatusNotification.ShouldSend("jane@fabrikam.com", dsn));
    }

    [Fact]
    public void Should_refuse_to_build_for_the_null_sender_or_without_recipients()
    {
        Assert.Throws<ArgumentException>(() =>
            DeliveryStatusNotification.Build(Request(Refused) with { EnvelopeSender = "<>" }, ReportingMta, Now));
        Assert.Throws<ArgumentException>(() => DeliveryStatusNotification.Build(Request(), ReportingMta, Now));
    }

    [Theory]
    [InlineData(ReasonCodes.MapBlankDisplayName, null, "5.1.3")]
    [InlineData(ReasonCodes.MapUnusableDisplayName, null, "5.1.3")]
    [InlineData(ReasonCodes.MapInvalidAddress, null, "5.1.3")]
    [InlineData(ReasonCodes.NoRoute, null, "5.4.4")]
    [InlineData(ReasonCodes.Expired, null, "5.4.7")]
    [InlineData(ReasonCodes.Expired, "450 4.2.1 try later", "5.4.7")]
    [InlineData(ReasonCodes.RelayRecipientDeferred, "451 4.3.0 later", "5.4.7")]
    [InlineData(ReasonCodes.RelayRecipientRefused, "550 5.1.1 user unknown", "5.1.1")]
    [InlineData(ReasonCodes.RelayRefused, "554 5.6.0 rejected", "5.6.0")]
    [InlineData(ReasonCodes.RelayRefused, "554-5.7.1 multi\nline", "5.7.1")]
    [InlineData(ReasonCodes.RelayRecipientRefused, "550 mailbox unavailable", "5.0.0")]
    [InlineData(ReasonCodes.MimeTooLarge, null, "5.3.4")]
    [InlineData(ReasonCodes.MimeMalformed, null, "5.6.0")]
    [InlineData(ReasonCodes.ContentMissing, null, "5.3.0")]
    [InlineData(ReasonCodes.Unhandled, null, "5.3.0")]
    [InlineData("GW-SOMETHING-NEW", null, "5.0.0")]
    public void Should_map_reason_codes_and_replies_to_a_failed_status(string code, string? reply, string expected)
    {
        Assert.Equal(expected, DeliveryStatusNotification.StatusFor(new FailedRecipient("a@b", code, "detail", reply)));
    }

    [Theory]
    [InlineData("550 5.1.1 user unknown", "5.1.1")]
    [InlineData("450 4.2.1 try later", "4.2.1")]
    [InlineData("250 2.0.0 OK queued as 0001", "2.0.0")]
    [InlineData("550 user unknown", null)]
    [InlineData("550 5.1.1.1 not a status", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Should_read_the_enhanced_status_of_a_reply(string? reply, string? expected)
    {
        Assert.Equal(expected, DeliveryStatusNotification.EnhancedStatusOf(reply));
    }

    // The anti-loop rule.

    [Fact]
    public void Should_send_for_an_ordinary_message()
    {
        Assert.True(DeliveryStatusNotification.ShouldSend("jane@fabrikam.com", Load(Original)));
        Assert.True(DeliveryStatusNotification.ShouldSend("<jane@fabrikam.com>", Load(Original)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<>")]
    [InlineData("< >")]
    [InlineData("MAILER-DAEMON@fabrikam.com")]
    [InlineData("mailer-daemon@fabrikam.com")]
    public void Should_never_send_to_the_null_sender_or_a_mailer_daemon(string? sender)
    {
        Assert.False(DeliveryStatusNotification.ShouldSend(sender, Load(Original)));
    }

    [Theory]
    [InlineData("Auto-Submitted: auto-replied")]
    [InlineData("Auto-Submitted: auto-generated")]
    [InlineData("Auto-Submitted: Auto-Notified; owner-email=\"x@y\"")]
    [InlineData("Auto-Submitted: auto-generated (vacation)")]
    [InlineData("Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"")]
    [InlineData("Content-Type: Multipart/Report; boundary=b;\r\n report-type=\"Delivery-Status\"")]
    [InlineData("X-Gateway-DSN-For: 0196f0c2e4c97a3b8d2f4e6a8c0b1d2e")]
    public void Should_never_send_about_an_automatic_message_or_a_DSN(string header)
    {
        var message = Load("From: a@b.c\r\nTo: d@e.f\r\n" + header + "\r\nSubject: x\r\n\r\nbody\r\n");

        Assert.False(DeliveryStatusNotification.ShouldSend("a@b.c", message));
    }

    [Theory]
    [InlineData("Auto-Submitted: no")]
    [InlineData("Auto-Submitted: No (a person wrote this)")]
    [InlineData("Content-Type: multipart/report; report-type=disposition-notification; boundary=b")]
    [InlineData("Content-Type: multipart/mixed; boundary=b")]
    [InlineData("Precedence: bulk")]
    public void Should_still_send_for_messages_a_person_or_list_sent(string header)
    {
        var message = Load("From: a@b.c\r\nTo: d@e.f\r\n" + header + "\r\nSubject: x\r\n\r\nbody\r\n");

        Assert.True(DeliveryStatusNotification.ShouldSend("a@b.c", message));
    }
}
