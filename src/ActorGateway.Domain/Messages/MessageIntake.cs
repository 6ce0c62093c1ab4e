using MimeKit;

namespace ActorGateway.Domain.Messages;

/// <summary>The verdict of <see cref="MessageIntake.Parse"/>: an envelope, or a rejection with a code.</summary>
public abstract record IntakeResult
{
    public sealed record Accepted(MessageEnvelope Envelope) : IntakeResult;

    public sealed record Rejected(string Code, string Reason) : IntakeResult;
}

/// <summary>
/// Turns the original RFC 5322 bytes into an <see cref="MessageEnvelope"/>, or says why it
/// cannot. Pure: it parses a buffer and does no I/O.
/// </summary>
public static class MessageIntake
{
    private static readonly ParserOptions Options = new()
    {
        // Display names are data to us; never let MimeKit "fix" or drop them.
        AllowAddressesWithoutDomain = true,
        AddressParserComplianceMode = RfcComplianceMode.Loose,
        ParameterComplianceMode = RfcComplianceMode.Loose,
    };

    /// <param name="content">The message exactly as received.</param>
    /// <param name="maxBytes">The largest message accepted.</param>
    /// <param name="envelopeRecipients">Recipients given outside the headers (SMTP RCPT TO); null to take them from To, Cc and Bcc.</param>
    /// <param name="returnPath">SMTP MAIL FROM (<c>""</c> for the null sender), or null when there was no SMTP envelope.</param>
    public static IntakeResult Parse(ReadOnlyMemory<byte> content, long maxBytes, IReadOnlyList<string>? envelopeRecipients = null, string? returnPath = null)
    {
        if (content.Length > maxBytes)
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeTooLarge,
                $"message is {content.Length} bytes; the limit is {maxBytes}");
        }
        if (IsBlank(content.Span))
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeEmpty, "message is empty");
        }

        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(content.ToArray(), writable: false);
            message = MimeMessage.Load(Options, stream);
        }
        catch (Exception ex) when (ex is FormatException or ParseException)
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeMalformed, Trim(ex.Message));
        }

        if (message.Headers.Count == 0)
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeMalformed, "no RFC 5322 header block found");
        }

        var senderMailbox = message.From.Mailboxes.FirstOrDefault() ?? message.Sender;
        if (senderMailbox is null || string.IsNullOrWhiteSpace(senderMailbox.Address))
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeNoSender, "no From or Sender mailbox");
        }
        var sender = new SourceAddress(AddressRole.Sender, senderMailbox.Address.Trim(), NullIfEmpty(senderMailbox.Name));

        var recipients = new List<SourceAddress>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(AddressRole role, MailboxAddress mailbox)
        {
            var address = mailbox.Address?.Trim();
            if (string.IsNullOrEmpty(address) || !seen.Add(address)) return;
            recipients.Add(new SourceAddress(role, address, NullIfEmpty(BlankNameAsWritten(message, role, address, mailbox.Name))));
        }

        foreach (var m in message.To.Mailboxes) Add(AddressRole.To, m);
        foreach (var m in message.Cc.Mailboxes) Add(AddressRole.Cc, m);
        if (envelopeRecipients is null)
        {
            foreach (var m in message.Bcc.Mailboxes) Add(AddressRole.Bcc, m);
        }
        else
        {
            // The envelope decides who receives the message; headers only lend display names.
            var envelope = new HashSet<string>(envelopeRecipients.Select(r => r.Trim()), StringComparer.OrdinalIgnoreCase);
            recipients.RemoveAll(r => !envelope.Contains(r.Address));
            // A Bcc header, when the source kept one, lends its display names too.
            var bccNames = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var m in message.Bcc.Mailboxes)
            {
                var address = m.Address?.Trim();
                if (!string.IsNullOrEmpty(address)) bccNames.TryAdd(address, NullIfEmpty(m.Name));
            }
            foreach (var r in envelopeRecipients)
            {
                var address = r.Trim();
                if (address.Length > 0 && seen.Add(address))
                {
                    recipients.Add(new SourceAddress(AddressRole.Bcc, address, bccNames.GetValueOrDefault(address)));
                }
            }
        }

        if (recipients.Count == 0)
        {
            return new IntakeResult.Rejected(ReasonCodes.MimeNoRecipients, "no recipient in To, Cc, Bcc or the envelope");
        }

        return new IntakeResult.Accepted(new MessageEnvelope(sender, recipients, message.Subject, message.MessageId, returnPath?.Trim()));
    }

    /// <summary>
    /// MimeKit turns every white-space character of a quoted display name into a space. A blank name is evidence the
    /// operator reads ("2 x U+0009"), so for a name that is only white space the quoted string is taken from the raw header.
    /// </summary>
    private static string? BlankNameAsWritten(MimeMessage message, AddressRole role, string address, string? name)
    {
        if (string.IsNullOrEmpty(name) || !string.IsNullOrWhiteSpace(name)) return name;
        var field = role switch { AddressRole.To => HeaderId.To, AddressRole.Cc => HeaderId.Cc, _ => HeaderId.Bcc };
        foreach (var header in message.Headers.Where(h => h.Id == field))
        {
            // Unfold (a CRLF before white space goes; the white space stays), then find "…" <address>.
            var raw = System.Text.Encoding.UTF8.GetString(header.RawValue).Replace("\r\n", "", StringComparison.Ordinal);
            var match = System.Text.RegularExpressions.Regex.Match(raw,
                "\"((?:[^\"\\\\]|\\\\.)*)\"\\s*<\\s*" + System.Text.RegularExpressions.Regex.Escape(address) + "\\s*>",
                System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (!match.Success) continue;
            var written = System.Text.RegularExpressions.Regex.Replace(match.Groups[1].Value, "\\\\(.)", "$1"); // quoted-pairs
            if (written.Length == name.Length && string.IsNullOrWhiteSpace(written)) return written;
        }
        return name;
    }

    /// <summary>MimeKit gives "" for a missing display name; keep null for absent, and keep whitespace as-is (it is evidence).</summary>
    private static string? NullIfEmpty(string? name) => string.IsNullOrEmpty(name) ? null : name;

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        }
        return true;
    }

    private static string Trim(string s) => s.Length <= 300 ? s : s[..300];
}
