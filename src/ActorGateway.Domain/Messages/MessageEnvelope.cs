namespace ActorGateway.Domain.Messages;

/// <summary>
/// What the gateway needs to know about a message besides its bytes: the sender and every
/// recipient with the display name the source gave it. Recorded in <c>MessageAccepted</c>, so
/// mapping (and a later re-mapping) never has to re-read the content.
/// </summary>
/// <param name="ReturnPath">The SMTP envelope sender (MAIL FROM) when the message came by SMTP: <c>""</c> is the null
/// sender of a bounce. Null when there was no envelope (a pickup file): the From mailbox stands in.</param>
public sealed record MessageEnvelope(
    SourceAddress Sender,
    IReadOnlyList<SourceAddress> Recipients,
    string? Subject,
    string? SourceMessageId,
    string? ReturnPath = null)
{
    /// <summary>Where notifications about this message go: the return path, else the From mailbox.</summary>
    public string NotifyAddress => ReturnPath ?? Sender.Address;
}
