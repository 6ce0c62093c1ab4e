namespace ActorGateway.Domain.Messages;

/// <summary>
/// Which partition of a clustered gateway owns a message. A partition is one sharded entity: its own in-flight registry
/// (<c>gateway-{partition}</c>), stage ledger (<c>risk-gate-{partition}</c>) and the message actors of its ids. The
/// function is stable across processes, versions and machines (FNV-1a over the id's ASCII characters, not
/// <see cref="string.GetHashCode()"/>, which .NET randomises per process): every node must agree on it, and a
/// restarted cluster must find each message in the partition that journaled it.
/// </summary>
public static class MessagePartition
{
    /// <summary>Partition names are <c>p</c> and two or more digits: <c>p00</c> … <c>p23</c>.</summary>
    public const string Prefix = "p";

    public static int IndexOf(MessageId id, int partitions)
    {
        if (partitions < 1) throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "at least one partition");
        var hash = 2166136261u;
        foreach (var c in id.Value)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return (int)(hash % (uint)partitions);
    }

    public static string Of(MessageId id, int partitions) => Name(IndexOf(id, partitions));

    public static string Name(int index) => Prefix + index.ToString("00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>All partition names, in order.</summary>
    public static IReadOnlyList<string> All(int partitions) => Enumerable.Range(0, partitions).Select(Name).ToList();
}
