using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ActorGateway.Domain.Messages;
using MimeKit;
using MimeKit.Utils;

namespace ActorGateway.Domain.Outbound;

/// <summary>One recipient the gateway gave up on, as a DSN reports it.</summary>
/// <param name="Address">The address the gateway tried (the mapped one, or the source address when mapping failed): <c>Final-Recipient</c>.</param>
/// <param name="ReasonCode">Our code, e.g. <c>GW-NO-ROUTE</c> or <c>GW-RELAY-RECIPIENT-REFUSED</c>; it decides <c>Status</c>.</param>
/// <param name="Detail">One line for the human-readable part, e.g. the dead-letter entry's message.</param>
/// <param name="RemoteReply">The remote server's reply when there was one, e.g. <c>550 5.1.1 user unknown</c>.</param>
public sealed record FailedRecipient(string Address, string ReasonCode, string Detail, string? RemoteReply = null)
{
    /// <summary>The address as the sender wrote it, when the gateway mapped it to another one: <c>Original-Recipient</c>.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>The host that gave <see cref="RemoteReply"/> (the smart host): <c>Remote-MTA</c>.</summary>
    public string? RemoteMta { get; init; }
}

/// <summary>What a DSN is about: the original message and the recipients that failed.</summary>
/// <param name="EnvelopeSender">The original envelope sender; the DSN goes to it.</param>
/// <param name="Original">The original message; its header block is returned as <c>text/rfc822-headers</c>, its body never.</param>
/// <param name="ArrivalDate">When the gateway accepted the message: <c>Arrival-Date</c>.</param>
public sealed record DsnRequest(
    MessageId MessageId,
    string EnvelopeSender,
    MimeMessage Original,
    DateTimeOffset ArrivalDate,
    IReadOnlyList<FailedRecipient> Recipients);

/// <summary>
/// Builds RFC 3464 non-delivery reports (<c>multipart/report; report-type=delivery-status</c>) and
/// decides whether one may be sent at all. Pure and deterministic: no I/O, no clock, no random
/// boundary or Message-ID, so the same input gives the same bytes.
/// <para>
/// <b>Anti-loop rule</b> (<see cref="ShouldSend(string?, MimeMessage)"/>): a DSN is never sent to the
/// null reverse-path (<c>&lt;&gt;</c> or empty, RFC 5321 §4.5.5) or to a <c>MAILER-DAEMON</c> sender,
/// and never about a message that is itself automatic: an <c>Auto-Submitted</c> header other than
/// <c>no</c> (RFC 3834), a <c>multipart/report; report-type=delivery-status</c> body (RFC 3464), or our
/// own <c>X-Gateway-DSN-For</c> marker. A DSN itself has all three marks and goes out with the null
/// sender, so two gateways can never bounce each other's bounces. Mailing-list mail
/// (<c>Precedence: list/bulk</c>) still gets DSNs: list managers rely on them.
/// </para>
/// </summary>
public static partial class DeliveryStatusNotification
{
    /// <summary>Names the message a DSN reports on; its presence also marks a message as a DSN of ours.</summary>
    public const string DsnForHeader = "X-Gateway-DSN-For";

    public const string SubjectText = "Undelivered Mail Returned to Sender";

    /// <summary>The envelope sender a DSN must be sent with: the null reverse-path.</summary>
    public const string NullSender = "";

    private static readonly FormatOptions Format = CreateFormat();

    /// <summary>Builds the report; send it with <see cref="NullSender"/> to <see cref="DsnRequest.EnvelopeSender"/>.</summary>
    /// <param name="reportingMta">The gateway's host name: <c>Reporting-MTA</c> and <c>MAILER-DAEMON@…</c>.</param>
    /// <param name="now">The report's Date.</param>
    public static MimeMessage Build(DsnRequest request, string reportingMta, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(reportingMta);
        if (IsNullSender(request.EnvelopeSender)) throw new ArgumentException("a DSN is never sent to the null sender", nameof(request));
        if (request.Recipients.Count == 0) throw new ArgumentException("a DSN needs at least one failed recipient", nameof(request));
        reportingMta = reportingMta.Trim();
        var id = request.MessageId.Value;

        var dsn = new MimeMessage();
        dsn.Headers.Clear();
        dsn.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingMta}"));
        dsn.To.Add(new MailboxAddress(string.Empty, Unbracket(request.EnvelopeSender)));
        dsn.Subject = SubjectText;
        dsn.Date = now;
        dsn.MessageId = $"dsn.{id}@{reportingMta}";
        var originalMessageId = request.Original.Headers[HeaderId.MessageId];
        if (!string.IsNullOrWhiteSpace(originalMessageId))
        {
            var reference = MimeUtils.EnumerateReferences(originalMessageId).FirstOrDefault();
            if (reference is not null)
            {
                dsn.InReplyTo = reference;
                dsn.References.Add(reference);
            }
        }
        dsn.Headers.Add(HeaderId.AutoSubmitted, "auto-replied");
        dsn.Headers.Add(DsnForHeader, id);

        var report = new MultipartReport("delivery-status") { Boundary = $"=_gateway-dsn-{id}" };
        report.Add(HumanReadable(request, reportingMta));
        report.Add(DeliveryStatus(request, reportingMta));
        report.Add(OriginalHeaders(request.Original));
        dsn.Body = report;
        return dsn;
    }

    /// <summary>The report as bytes with CRLF line ends, ready for a transport.</summary>
    public static byte[] ToBytes(MimeMessage dsn)
    {
        using var output = new MemoryStream();
        dsn.WriteTo(Format, output);
        return output.ToArray();
    }

    /// <summary>The anti-loop rule (see the class summary): false when no DSN may be sent.</summary>
    public static bool ShouldSend(string? envelopeSender, MimeMessage original)
    {
        ArgumentNullException.ThrowIfNull(original);
        // MimeKit keeps Content-* headers on the body entity, not in MimeMessage.Headers.
        IEnumerable<Header> headers = original.Headers;
        if (original.Body is not null) headers = headers.Concat(original.Body.Headers);
        return ShouldSend(envelopeSender, headers);
    }

    /// <summary>The anti-loop rule for a complete header block (e.g. from <see cref="HeaderList.Load(Stream, CancellationToken)"/>).</summary>
    public static bool ShouldSend(string? envelopeSender, IEnumerable<Header> originalHeaders)
    {
        ArgumentNullException.ThrowIfNull(originalHeaders);
        if (IsNullSender(envelopeSender)) return false;
        var sender = Unbracket(envelopeSender!);
        var at = sender.LastIndexOf('@');
        var localPart = at < 0 ? sender : sender[..at];
        if (localPart.Equals("MAILER-DAEMON", StringComparison.OrdinalIgnoreCase)) return false;

        foreach (var header in originalHeaders)
        {
            if (header.Id == HeaderId.AutoSubmitted && AutoSubmittedKeyword(header.Value) != "no") return false;
            if (header.Field.Equals(DsnForHeader, StringComparison.OrdinalIgnoreCase)) return false;
            if (header.Id == HeaderId.ContentType && IsDeliveryStatusReport(header.Value)) return false;
        }
        return true;
    }

    /// <summary>
    /// The RFC 3463 status of a failed recipient. A 5.x.x enhanced code in the remote reply wins;
    /// otherwise our code decides: GW-MAP-* 5.1.3 (no valid destination address can be formed),
    /// GW-NO-ROUTE 5.4.4, GW-EXPIRED and deferred recipients 5.4.7, relay refusals without an
    /// enhanced code 5.0.0, GW-MIME-TOO-LARGE 5.3.4, other GW-MIME-* 5.6.0, GW-CONTENT-MISSING and
    /// GW-UNHANDLED 5.3.0, anything else 5.0.0. Always class 5: the action is "failed".
    /// </summary>
    public static string StatusFor(FailedRecipient recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var remote = EnhancedStatusOf(recipient.RemoteReply);
        if (remote is not null && remote[0] == '5') return remote;
        var code = recipient.ReasonCode;
        return code switch
        {
            _ when code.StartsWith("GW-MAP-", StringComparison.Ordinal) => "5.1.3",
            ReasonCodes.NoRoute => "5.4.4",
            ReasonCodes.Expired or ReasonCodes.RelayRecipientDeferred or ReasonCodes.RecipientDeferred => "5.4.7",
            ReasonCodes.RelayRefused or ReasonCodes.RelayRecipientRefused or ReasonCodes.RecipientRefused => "5.0.0",
            ReasonCodes.MimeTooLarge => "5.3.4",
            _ when code.StartsWith("GW-MIME-", StringComparison.Ordinal) => "5.6.0",
            ReasonCodes.ContentMissing or ReasonCodes.Unhandled => "5.3.0",
            _ => "5.0.0",
        };
    }

    /// <summary>The enhanced status code of an SMTP reply (<c>550 5.1.1 user unknown</c> → <c>5.1.1</c>), or null.</summary>
    public static string? EnhancedStatusOf(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        var match = EnhancedStatus().Match(reply);
        return match.Success ? match.Groups["status"].Value : null;
    }

    private static MimePart HumanReadable(DsnRequest request, string reportingMta)
    {
        var subject = request.Original.Subject;
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"This is the mail gateway at {reportingMta}.\n\n")
            .Append(request.Recipients.Count == 1
                ? "Your message could not be delivered to one recipient.\n"
                : string.Create(CultureInfo.InvariantCulture, $"Your message could not be delivered to {request.Recipients.Count} recipients.\n"))
            .Append("This is a permanent error; the gateway will not try again.\n\n")
            .Append(CultureInfo.InvariantCulture, $"Gateway message id: {request.MessageId.Value}\n");
        if (!string.IsNullOrWhiteSpace(subject)) text.Append(CultureInfo.InvariantCulture, $"Its subject: {OneLine(subject)}\n");
        text.Append(CultureInfo.InvariantCulture, $"Accepted by the gateway: {DateUtils.FormatDate(request.ArrivalDate)}\n\n");
        foreach (var r in request.Recipients)
        {
            text.Append(CultureInfo.InvariantCulture, $"<{Unbracket(r.Address)}>");
            if (r.OriginalRecipient is not null) text.Append(CultureInfo.InvariantCulture, $" (originally <{Unbracket(r.OriginalRecipient)}>)");
            text.Append(CultureInfo.InvariantCulture, $": {OneLine(r.Detail)}\n")
                .Append(CultureInfo.InvariantCulture, $"    Reason: {r.ReasonCode} (status {StatusFor(r)})\n");
            if (r.RemoteReply is not null)
            {
                var from = r.RemoteMta is null ? "The remote server" : $"The remote server {r.RemoteMta}";
                text.Append(CultureInfo.InvariantCulture, $"    {from} said: {OneLine(r.RemoteReply)}\n");
            }
            text.Append('\n');
        }
        text.Append("The headers of your message are attached.\n");

        var body = text.ToString();
        var part = new TextPart("plain") { Text = body };
        part.ContentType.Charset = "utf-8";
        part.ContentTransferEncoding = Ascii.IsValid(body) ? ContentEncoding.SevenBit : ContentEncoding.QuotedPrintable;
        part.ContentDescription = "Notification";
        return part;
    }

    private static MessageDeliveryStatus DeliveryStatus(DsnRequest request, string reportingMta)
    {
        var status = new MessageDeliveryStatus { ContentDescription = "Delivery report" };
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {reportingMta}" },
            { "X-Gateway-Message-Id", request.MessageId.Value },
            { "Arrival-Date", DateUtils.FormatDate(request.ArrivalDate) },
        };
        status.StatusGroups.Add(perMessage);
        foreach (var r in request.Recipients)
        {
            var group = new HeaderList();
            if (r.OriginalRecipient is not null) group.Add("Original-Recipient", $"rfc822; {Unbracket(r.OriginalRecipient)}");
            group.Add("Final-Recipient", $"rfc822; {Unbracket(r.Address)}");
            group.Add("Action", "failed");
            group.Add("Status", StatusFor(r));
            if (r.RemoteMta is not null) group.Add("Remote-MTA", $"dns; {OneLine(r.RemoteMta)}");
            group.Add("Diagnostic-Code", r.RemoteReply is not null
                ? $"smtp; {OneLine(r.RemoteReply)}"
                : $"X-Gateway; {r.ReasonCode} {OneLine(r.Detail)}");
            group.Add("X-Gateway-Reason", r.ReasonCode);
            status.StatusGroups.Add(group);
        }
        return status;
    }

    /// <summary>The original header block in its order, Content-* included, as <c>text/rfc822-headers</c>.</summary>
    private static MimePart OriginalHeaders(MimeMessage original)
    {
        using var raw = new MemoryStream();
        original.WriteTo(Format, raw, headersOnly: true);
        var bytes = raw.ToArray();
        // Without the blank line that ends a header block: the part holds the fields only.
        if (bytes.AsSpan().EndsWith("\r\n\r\n"u8)) bytes = bytes[..^2];
        var part = new MimePart("text", "rfc822-headers")
        {
            Content = new MimeContent(new MemoryStream(bytes, writable: false)),
            ContentTransferEncoding = bytes.All(b => b < 0x80) ? ContentEncoding.SevenBit : ContentEncoding.EightBit,
            ContentDescription = "Undelivered message headers",
        };
        return part;
    }

    private static bool IsNullSender(string? sender) =>
        string.IsNullOrWhiteSpace(sender) || Unbracket(sender).Length == 0;

    private static string Unbracket(string address)
    {
        var text = address.Trim();
        if (text.StartsWith('<') && text.EndsWith('>')) text = text[1..^1].Trim();
        return text;
    }

    /// <summary>The keyword of an Auto-Submitted value, without comments and parameters, lowercased.</summary>
    private static string AutoSubmittedKeyword(string? value)
    {
        var text = Comment().Replace(value ?? string.Empty, " ");
        var semicolon = text.IndexOf(';');
        if (semicolon >= 0) text = text[..semicolon];
        return text.Trim().ToLowerInvariant();
    }

    private static bool IsDeliveryStatusReport(string? value) =>
        ContentType.TryParse(ParserOptions.Default, value ?? string.Empty, out var type)
        && type.IsMimeType("multipart", "report")
        && type.Parameters.TryGetValue("report-type", out string? reportType)
        && string.Equals(reportType, "delivery-status", StringComparison.OrdinalIgnoreCase);

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    [GeneratedRegex(@"^\s*[245]\d\d[ -](?<status>[245]\.\d{1,3}\.\d{1,3})(?!\.?\d)")]
    private static partial Regex EnhancedStatus();

    [GeneratedRegex(@"\([^()]*\)")]
    private static partial Regex Comment();
}
