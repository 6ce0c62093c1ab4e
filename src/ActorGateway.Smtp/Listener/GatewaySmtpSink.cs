using ActorGateway.Actors;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Connects the listener to a <see cref="GatewayNode"/>: recipient domains are ours when a route
/// covers them, and a message goes to <see cref="GatewayIngress.SubmitAsync"/>, which answers
/// Accepted only once it is in the journal. The envelope sender (MAIL FROM, empty for the null
/// sender) is recorded as the message's return path: DSNs go there, never to the null sender.
/// </summary>
public sealed class GatewaySmtpSink(GatewayNode node) : ISmtpMessageSink
{
    public bool AcceptsRecipientDomain(string domain) => node.Parts.Routes.Current.Find(domain) != null;

    public async Task<SmtpSubmitResult> SubmitAsync(ReadOnlyMemory<byte> message, string source, string mailFrom, IReadOnlyList<string> recipients, CancellationToken ct)
    {
        var result = await node.Ingress.SubmitAsync(message, source, envelopeRecipients: recipients, ct: ct, returnPath: mailFrom);
        return Map(result);
    }

    /// <summary>One-to-one: the listener decides the SMTP reply from the GW-* code (<see cref="SmtpSubmitResult.ToReply"/>).</summary>
    public static SmtpSubmitResult Map(SubmitResult result) => result switch
    {
        SubmitResult.Accepted a => new SmtpSubmitResult.Accepted(a.MessageId.Value),
        SubmitResult.Rejected r => new SmtpSubmitResult.Rejected(r.Code, r.Reason),
        SubmitResult.Deferred d => new SmtpSubmitResult.Deferred(d.Code, d.Reason),
        _ => throw new InvalidOperationException($"unknown submit result {result.GetType().Name}"),
    };
}
