using Akka.Actor;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors;

/// <summary>The verdict an ingress gets for one submitted message.</summary>
public abstract record SubmitResult
{
    /// <summary>Durably in the journal: the ingress may now acknowledge its sender.</summary>
    public sealed record Accepted(MessageId MessageId) : SubmitResult;

    /// <summary>Refused for good (bad input). The source should go to badmail with this code.</summary>
    public sealed record Rejected(string Code, string Reason) : SubmitResult;

    /// <summary>Not taken now (busy, shutting down, the journal is unavailable). Keep the message and try later.</summary>
    public sealed record Deferred(string Code, string Reason) : SubmitResult;
}

/// <summary>
/// What every ingress (pickup directory, CLI, later SMTP) calls. Parses the message, writes its
/// bytes durably to the content store, and asks the gateway to accept it. Returns
/// <see cref="SubmitResult.Accepted"/> only after the message is in the journal. Applies the
/// gateway's backpressure: while it says GW-BUSY, this waits and tries again until the submit timeout.
/// </summary>
public sealed class GatewayIngress(IActorRef gateway, IContentStore content, GatewaySettings settings)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <param name="message">The original RFC 5322 bytes.</param>
    /// <param name="source">Where it came from, recorded in MessageAccepted (a file name, an SMTP session).</param>
    /// <param name="envelopeRecipients">RCPT TO addresses, or null to take recipients from the headers.</param>
    /// <param name="id">The id to use, when the ingress fixed one earlier (a claimed pickup file being retried after a crash): the same id is the same message.</param>
    /// <param name="returnPath">SMTP MAIL FROM (<c>""</c> for the null sender); null when there was no SMTP envelope.</param>
    /// <param name="newId">The caller made <paramref name="id"/> with <see cref="MessageId.New"/> and has never submitted it (an id left null is new too).</param>
    public async Task<SubmitResult> SubmitAsync(
        ReadOnlyMemory<byte> message,
        string source,
        IReadOnlyList<string>? envelopeRecipients = null,
        MessageId? id = null,
        CancellationToken ct = default,
        string? returnPath = null,
        bool newId = false)
    {
        var intake = MessageIntake.Parse(message, settings.MaxMessageBytes, envelopeRecipients, returnPath);
        if (intake is IntakeResult.Rejected rejected) return new SubmitResult.Rejected(rejected.Code, rejected.Reason);
        var envelope = ((IntakeResult.Accepted)intake).Envelope;

        var messageId = id ?? MessageId.New();
        try
        {
            await content.WriteAsync(messageId, message, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new SubmitResult.Deferred(ReasonCodes.IntakeUnreadable, $"content store write failed: {ex.Message}");
        }

        // Only the first attempt may say the id is new: once it was sent, the gateway may have admitted it (and the
        // message may even have finished) while this side timed out, so a repeat must read the journal.
        var submission = new GatewayProtocol.SubmitMessage(messageId, source, message.Length, envelope, NewId: id is null || newId);
        var deadline = DateTime.UtcNow + settings.SubmitTimeout;
        var pause = TimeSpan.FromMilliseconds(50);
        var answeredBusy = false;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) break;
            object reply;
            try
            {
                // Short attempts: a submission is idempotent per id, so a reply lost in a race is simply asked for again.
                var sent = submission;
                if (sent.NewId) submission = sent with { NewId = false };
                reply = await gateway.Ask(sent, remaining < AttemptTimeout ? remaining : AttemptTimeout, ct);
            }
            catch (AskTimeoutException)
            {
                continue;
            }
            switch (reply)
            {
                case GatewayProtocol.SubmitAccepted:
                    return new SubmitResult.Accepted(messageId);
                case GatewayProtocol.SubmitRejected r when r.Code == ReasonCodes.Busy:
                    answeredBusy = true;
                    await Task.Delay(pause, ct);
                    pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
                    continue;
                case GatewayProtocol.SubmitRejected r:
                    return new SubmitResult.Deferred(r.Code, r.Reason);
            }
        }
        // No answer at all: the journal or the gateway is unavailable (a busy gateway answers GW-BUSY at once).
        // The content stays: the gateway may still accept it; an orphan is harmless.
        return new SubmitResult.Deferred(answeredBusy ? ReasonCodes.Busy : ReasonCodes.GatewayUnavailable,
            $"not accepted within {settings.SubmitTimeout.TotalSeconds:0}s" + (answeredBusy ? " (too many messages in flight)" : " (the gateway or its journal did not answer)"));
    }
}
