namespace ActorGateway.Domain.Messages;

/// <summary>
/// What the gateway needs to know about a message besides its bytes: the sender and every
/// recipient with the display name the source gave it. Recorded in <c>MessageAccepted</c>, so
/// mapping (and a later re-mapping) never has to re-read the content.
/// </summary>
public sealed record MessageEnvelope(
    SourceAddress Sender,
    IReadOnlyList<SourceAddress> Recipients,
    string? Subject,
    string? SourceMessageId);
