using MailKit.Net.Smtp;
using MimeKit;

namespace ActorGateway.Smtp.Relay;

/// <summary>
/// MailKit's client, changed in three places for a relay: a refused recipient is recorded
/// instead of failing the whole transaction, "no recipient accepted" is recorded too (MailKit
/// then throws its own <see cref="SmtpCommandException"/> after RSET, which keeps the connection),
/// and the message is sent as parsed, never re-encoded.
/// </summary>
internal sealed class RelaySmtpClient : SmtpClient
{
    // Keyed by instance: the relay passes each recipient as its own MailboxAddress.
    private readonly Dictionary<MailboxAddress, SmtpResponse> _notAccepted = new(ReferenceEqualityComparer.Instance);

    /// <summary>The RCPT TO replies that were not 2xx in the current transaction.</summary>
    public IReadOnlyDictionary<MailboxAddress, SmtpResponse> NotAccepted => _notAccepted;

    /// <summary>True when the server accepted none of the current transaction's recipients (nothing was sent).</summary>
    public bool NoRecipientsAccepted { get; private set; }

    /// <summary>True once MAIL FROM got its 2xx in the current transaction. Before that, a broken
    /// connection cannot have delivered anything, so the transaction may be repeated at once.</summary>
    public bool SenderAccepted { get; private set; }

    public void BeginTransaction()
    {
        _notAccepted.Clear();
        NoRecipientsAccepted = false;
        SenderAccepted = false;
    }

    protected override void OnSenderAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        SenderAccepted = true;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        _notAccepted[mailbox] = response;

    protected override void OnNoRecipientsAccepted(MimeMessage message) => NoRecipientsAccepted = true;

    // MailKit would otherwise re-encode parts to fit the server's 8BITMIME/BINARYMIME support and
    // line-length limit. The relay forwards the bytes it was given: MimeKit writes a parsed,
    // unmodified message back byte for byte (Bcc, Resent-Bcc and Content-Length are still hidden).
    protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
    {
    }
}
