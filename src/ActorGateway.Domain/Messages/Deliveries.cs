namespace ActorGateway.Domain.Messages;

/// <summary>What happened to one recipient of a delivery.</summary>
public enum RecipientDisposition
{
    /// <summary>The target took it.</summary>
    Delivered,
    /// <summary>Refused for good (an SMTP 5xx): that recipient is dead-lettered, the others are not affected.</summary>
    Refused,
    /// <summary>Refused for now (an SMTP 4xx): that recipient is retried later.</summary>
    Deferred,
}

/// <summary>One recipient's result, with the target's reply when there is one.</summary>
public sealed record RecipientResult(string Recipient, RecipientDisposition Disposition, string? Reply);

/// <summary>What a transport reports after a delivery.</summary>
/// <param name="Location">Where the message went (a spool path, a smart host and its queue id).</param>
/// <param name="AlreadyPresent">True when the message was found delivered already (a replay or recovery): nothing was sent twice.</param>
/// <param name="Recipients">One result per envelope recipient.</param>
public sealed record DeliveryReceipt(string Location, bool AlreadyPresent, IReadOnlyList<RecipientResult> Recipients);
