using ActorGateway.Domain;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Where the listener hands a received message: the gateway (<see cref="GatewaySmtpSink"/>) or a
/// test double. The listener replies 250 only when <see cref="SubmitAsync"/> returns
/// <see cref="SmtpSubmitResult.Accepted"/>, so "accepted" must mean "durably stored".
/// </summary>
public interface ISmtpMessageSink
{
    /// <summary>Whether mail for this recipient domain is ours to take (anything else is relaying: 550 5.7.1).</summary>
    bool AcceptsRecipientDomain(string domain);

    /// <param name="message">The message exactly as received, after dot-unstuffing; valid only during the call.</param>
    /// <param name="source">Identifies the session: <c>smtp:{session-id}:{remote-ip}</c>.</param>
    /// <param name="mailFrom">The envelope sender; empty for the null sender <c>&lt;&gt;</c>.</param>
    /// <param name="recipients">The accepted RCPT TO addresses, without angle brackets, duplicates removed.</param>
    Task<SmtpSubmitResult> SubmitAsync(ReadOnlyMemory<byte> message, string source, string mailFrom, IReadOnlyList<string> recipients, CancellationToken ct);
}

/// <summary>A sink's verdict on one message; <see cref="ToReply"/> turns it into the reply after DATA.</summary>
public abstract record SmtpSubmitResult
{
    private SmtpSubmitResult()
    {
    }

    /// <summary>Durably stored under <paramref name="QueueId"/>: the only result that gives 250.</summary>
    public sealed record Accepted(string QueueId) : SmtpSubmitResult;

    /// <summary>Refused for good (<paramref name="Code"/> is a GW-* reason code): 552 5.3.4 when too large, else 550 5.6.0.</summary>
    public sealed record Rejected(string Code, string Reason) : SmtpSubmitResult;

    /// <summary>Not taken now; the client should retry: 452 4.3.1 for GW-BUSY, else 451 4.3.0.</summary>
    public sealed record Deferred(string Code, string Reason) : SmtpSubmitResult;

    /// <summary>The SMTP reply for this verdict. Deferral reasons stay in the log: they may name local paths.</summary>
    public SmtpReply ToReply() => this switch
    {
        Accepted a => new SmtpReply(250, "2.0.0", $"Ok: queued as {a.QueueId}"),
        Rejected { Code: ReasonCodes.MimeTooLarge } r => new SmtpReply(552, "5.3.4", $"Message size exceeds fixed maximum message size ({r.Code})"),
        Rejected r => new SmtpReply(550, "5.6.0", $"{r.Code}: {r.Reason}"),
        Deferred { Code: ReasonCodes.Busy } d => new SmtpReply(452, "4.3.1", $"{d.Code}: Insufficient system resources, try again later"),
        Deferred d => new SmtpReply(451, "4.3.0", $"{d.Code}: Temporary local problem, try again later"),
        _ => throw new InvalidOperationException($"unknown submit result {GetType().Name}"),
    };
}
