using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Operations;

/// <summary>What one address came to, or would come to: mapped to a target, failed with a code, or settled by an earlier delivery.</summary>
public sealed record AddressOutcome(string Kind, string? Target, string? Code, string? Detail, string? Route, Stage? Stage = null)
{
    public const string MappedKind = "mapped";
    public const string FailedKind = "failed";
    public const string DeliveredKind = "delivered";
    /// <summary>No record of this address in the current generation (for example a message dead-lettered before mapping finished).</summary>
    public const string UnknownKind = "unknown";

    public static AddressOutcome Mapped(MappedAddress m) => new(MappedKind, m.Target, null, null, m.Route);

    public static AddressOutcome Delivered(MappedAddress m) => new(DeliveredKind, m.Target, null, null, m.Route);

    /// <param name="target">For a failure at delivery, the target the address was mapped to.</param>
    public static AddressOutcome Failed(string code, string detail, string? route, Stage stage, string? target = null) => new(FailedKind, target, code, detail, route, stage);

    public static readonly AddressOutcome Unknown = new(UnknownKind, null, null, null, null);

    public bool IsMapped => Kind is MappedKind or DeliveredKind;
}

/// <summary>One address of a dry-run replay: what happened last time, and what mapping would give now.</summary>
/// <param name="Changed">The new result differs from the old one (another target, or failed then and maps now, or the other way round); false when there is no old result.</param>
public sealed record AddressPreview(AddressRole Role, string Address, string? DisplayName, AddressOutcome Old, AddressOutcome New, bool Changed);

/// <summary>
/// The dry run of a replay: each address of the message with its old and new mapping under the
/// current route table. <paramref name="WouldMap"/> is true when a replay's mapping stage would
/// succeed: the sender maps and at least one recipient still to be delivered maps.
/// Pure: nothing is changed, nothing is recorded.
/// </summary>
/// <param name="StillFailing">Recipients still to be delivered that would fail mapping again.</param>
public sealed record ReplayPreview(MessageId MessageId, bool Quarantined, bool WouldMap, int WouldMapCount, int StillFailing, IReadOnlyList<AddressPreview> Addresses)
{
    /// <summary>Previews a replay of <paramref name="state"/> with <paramref name="routes"/> (the route table and directory in force now).</summary>
    /// <exception cref="InvalidOperationException">The message was never accepted (there is nothing to replay).</exception>
    public static ReplayPreview For(MessageId id, MessageState state, RouteTable routes)
    {
        var envelope = state.Accepted?.Envelope ?? throw new InvalidOperationException($"message {id} was never accepted; there is nothing to replay");
        var failures = (state.DeadLetter?.Recipients ?? []).Concat(state.FailedRecipients).ToList();
        var addresses = new List<AddressPreview>(envelope.Recipients.Count + 1);

        // The sender: mapped again on every replay.
        var senderOld = state.Mapping is { } mapping
            ? AddressOutcome.Mapped(mapping.Sender)
            : FailureOf(envelope.Sender, failures, state) ?? AddressOutcome.Unknown;
        var senderNew = Outcome(AddressMapper.MapSender(envelope.Sender, routes), routes, envelope.Sender);
        addresses.Add(new AddressPreview(AddressRole.Sender, envelope.Sender.Address, envelope.Sender.DisplayName, senderOld, senderNew, Differs(senderOld, senderNew)));

        var toMap = state.RecipientsToMap;
        var wouldMapCount = 0;
        var stillFailing = 0;
        foreach (var recipient in envelope.Recipients)
        {
            var delivered = DeliveredAs(recipient, state);
            if (delivered is not null || !toMap.Contains(recipient))
            {
                // Settled: a replay never maps or delivers it again.
                var settled = delivered is null ? AddressOutcome.Unknown : AddressOutcome.Delivered(delivered);
                addresses.Add(new AddressPreview(recipient.Role, recipient.Address, recipient.DisplayName, settled, settled, false));
                continue;
            }
            var old = FailureOf(recipient, failures, state)
                      ?? (state.Mapping?.Recipients.FirstOrDefault(m => Same(m, recipient)) is { } m ? AddressOutcome.Mapped(m) : AddressOutcome.Unknown);
            var now = Outcome(AddressMapper.MapRecipient(recipient, routes), routes, recipient);
            if (now.IsMapped) wouldMapCount++;
            else stillFailing++;
            addresses.Add(new AddressPreview(recipient.Role, recipient.Address, recipient.DisplayName, old, now, Differs(old, now)));
        }

        return new ReplayPreview(id, state.IsQuarantined, senderNew.IsMapped && wouldMapCount > 0, wouldMapCount, stillFailing, addresses);
    }

    private static AddressOutcome Outcome(AddressMapResult result, RouteTable routes, SourceAddress source) => result switch
    {
        AddressMapResult.Mapped m => AddressOutcome.Mapped(m.Address),
        AddressMapResult.Failed f => AddressOutcome.Failed(f.ReasonCode, f.Detail, routes.Find(source.Domain)?.Name, Stage.Mapping),
        _ => throw new InvalidOperationException(result.GetType().Name),
    };

    /// <summary>The recipient's mapping in the generation that delivered it (before a replay, or in the current one).</summary>
    private static MappedAddress? DeliveredAs(SourceAddress recipient, MessageState state) =>
        state.PreviouslyDelivered.FirstOrDefault(p => Same(p, recipient))
        ?? state.Mapping?.Recipients.FirstOrDefault(m => Same(m, recipient) && state.DeliveredTo.Contains(m.Target, StringComparer.OrdinalIgnoreCase));

    private static AddressOutcome? FailureOf(SourceAddress address, IReadOnlyList<RecipientFailure> failures, MessageState state)
    {
        // A delivery refusal is recorded under the mapped target; a mapping failure under the source address.
        var mappedTarget = state.Mapping?.Recipients.FirstOrDefault(m => Same(m, address))?.Target;
        var failure = failures.FirstOrDefault(f => f.Role == address.Role && string.Equals(f.Address, address.Address, StringComparison.OrdinalIgnoreCase))
                      ?? (mappedTarget is null ? null : failures.FirstOrDefault(f => f.Role == address.Role && string.Equals(f.Address, mappedTarget, StringComparison.OrdinalIgnoreCase)));
        if (failure is not null) return AddressOutcome.Failed(failure.Reason, failure.Detail, failure.Route, failure.Stage, failure.Stage == Stage.Mapping ? null : mappedTarget);
        // A whole-message failure names the address in the dead-letter event itself (e.g. an unmappable sender).
        if (state.DeadLetter is { } dl && dl.Recipients is null or { Count: 0 } && string.Equals(dl.Recipient, address.Address, StringComparison.OrdinalIgnoreCase))
        {
            return AddressOutcome.Failed(dl.Reason, dl.ErrorMessage, null, dl.Stage);
        }
        return null;
    }

    private static bool Same(MappedAddress m, SourceAddress s) =>
        m.Role == s.Role && string.Equals(m.Source, s.Address, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether mapping now gives another result. A recipient that failed at delivery is unchanged when it maps to the same target again.</summary>
    private static bool Differs(AddressOutcome old, AddressOutcome now) =>
        // Nothing on record to compare with (mapping never finished for this address): not a change.
        old.Kind != AddressOutcome.UnknownKind &&
        (old is { Kind: AddressOutcome.FailedKind, Stage: not Stage.Mapping, Target: not null }
            ? !now.IsMapped || !string.Equals(old.Target, now.Target, StringComparison.OrdinalIgnoreCase)
            : old.IsMapped != now.IsMapped
              || !string.Equals(old.Target, now.Target, StringComparison.OrdinalIgnoreCase)
              || !string.Equals(old.Code, now.Code, StringComparison.Ordinal));
}
