using System.Collections.Concurrent;
using ActorGateway.Domain;
using ActorGateway.Smtp.Listener;

namespace ActorGateway.Smtp.Tests.Support;

/// <summary>An <see cref="ISmtpMessageSink"/> that records every submission and answers as told (Accepted by default).</summary>
public sealed class FakeMessageSink : ISmtpMessageSink
{
    private int _next;

    /// <summary>Recipient domains accepted: everything else is relaying.</summary>
    public HashSet<string> Domains { get; } = new(StringComparer.OrdinalIgnoreCase) { "example.com", "routed.test" };

    public ConcurrentQueue<Submission> Submissions { get; } = new();

    /// <summary>The answer to each submission; the default accepts with queue id q1, q2, ….</summary>
    public Func<Submission, SmtpSubmitResult> Respond { get; set; }

    public FakeMessageSink() => Respond = _ => new SmtpSubmitResult.Accepted($"q{Interlocked.Increment(ref _next)}");

    public static SmtpSubmitResult Busy => new SmtpSubmitResult.Deferred(ReasonCodes.Busy, "the gateway is busy");

    public static SmtpSubmitResult JournalDown => new SmtpSubmitResult.Deferred(ReasonCodes.IntakeUnreadable, "content store write failed: /var/secret/path");

    /// <summary>When set, AcceptsRecipientDomain throws it (a broken route table).</summary>
    public Exception? RouteFailure { get; set; }

    public bool AcceptsRecipientDomain(string domain) => RouteFailure is null ? Domains.Contains(domain) : throw RouteFailure;

    public Task<SmtpSubmitResult> SubmitAsync(ReadOnlyMemory<byte> message, string source, string mailFrom, IReadOnlyList<string> recipients, CancellationToken ct)
    {
        var submission = new Submission(message.ToArray(), source, mailFrom, recipients.ToArray());
        Submissions.Enqueue(submission);
        return Task.FromResult(Respond(submission));
    }

    public sealed record Submission(byte[] Message, string Source, string MailFrom, IReadOnlyList<string> Recipients);
}
