using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Cluster;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Tests.Cluster;

/// <summary>
/// A directory edit recorded through any node (the shared <c>directory</c> record) reaches this node's directory file and
/// its route table, so a replay maps with it wherever the message's partition runs. One node on a SQLite journal stands
/// for one member: what it follows is the journal, the same on every member.
/// </summary>
public sealed class DirectorySyncActorSpecs : IDisposable
{
    private readonly TestDataDir _dir = new();
    private readonly ActorSystem _system;
    private readonly GatewayHarness _harness;

    public DirectorySyncActorSpecs()
    {
        _system = ActorSystem.Create("sync", _dir.Config());
        _harness = new GatewayHarness(_system);
    }

    private string DirectoryFile => Path.Combine(_dir.Path, "directory.csv");

    private IActorRef StartSync() =>
        _system.ActorOf(DirectorySyncActor.Props(_system.Settings.Config, _dir.Path, TimeSpan.FromMilliseconds(200)), DirectorySyncActor.Name);

    private static OperatorEvents.DirectoryEntrySet Edit(string address, string userId, string node) =>
        new("profs", "/elsewhere/node2/directory.csv", address, null, new DirectoryEntry(address, userId, node), "alice", "a blank display name", DateTimeOffset.UtcNow);

    private async Task<long> RecordAsync(params OperatorEvents.DirectoryEntrySet[] edits) =>
        (await DirectoryAuditActor.RecordAsync(_system, edits, TimeSpan.FromSeconds(10))).SequenceNr;

    [Fact]
    public async Task Should_write_an_edit_recorded_elsewhere_into_this_nodes_file_so_the_message_maps_here()
    {
        StartSync();
        var seq = await RecordAsync(Edit("ghost@contoso.com", "GHOST", "VMNODE1"));

        await DirectorySyncActor.WaitAppliedAsync(_system, seq, TimeSpan.FromSeconds(15));

        Assert.Contains("ghost@contoso.com,GHOST,VMNODE1", await File.ReadAllTextAsync(DirectoryFile));
        Assert.Equal(seq.ToString(), (await File.ReadAllTextAsync(Path.Combine(_dir.Path, DirectorySyncActor.StateFileName))).Trim());
        // The route table has it: the seed's poison (a blank display name for ghost@contoso.com) now maps and is delivered.
        var id = await _harness.SubmitAsync(TestMessages.Poison(1));
        var outcome = (await _harness.WaitAllAsync([id], TimeSpan.FromSeconds(30))).Single();
        Assert.Equal("delivered", outcome.Outcome);
    }

    [Fact]
    public async Task Should_go_on_from_the_last_edit_it_applied_and_leave_a_later_hand_edit_alone()
    {
        var sync = StartSync();
        var first = await RecordAsync(Edit("ghost@contoso.com", "GHOST", "VMNODE1"));
        await DirectorySyncActor.WaitAppliedAsync(_system, first, TimeSpan.FromSeconds(15));
        await sync.GracefulStop(TimeSpan.FromSeconds(5));

        // While this node's follower is down: the operator fixes the file by hand here, and another node records an edit.
        await File.WriteAllTextAsync(DirectoryFile, "ghost@contoso.com,GHOST2,VMNODE2\n");
        var second = await RecordAsync(Edit("jdoe@contoso.com", "JDOE", "VMNODE1"));

        StartSync();
        await DirectorySyncActor.WaitAppliedAsync(_system, second, TimeSpan.FromSeconds(15));

        var text = await File.ReadAllTextAsync(DirectoryFile);
        Assert.Contains("jdoe@contoso.com,JDOE,VMNODE1", text);
        Assert.Contains("ghost@contoso.com,GHOST2,VMNODE2", text);
        Assert.DoesNotContain("ghost@contoso.com,GHOST,VMNODE1", text);
    }

    [Fact]
    public async Task Should_start_over_when_its_record_of_applied_edits_is_ahead_of_the_journal()
    {
        // A data directory kept across a new, empty database: it says edit 5 was applied; the journal has none yet.
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, DirectorySyncActor.StateFileName), "5\n");
        StartSync();

        var seq = await RecordAsync(Edit("ghost@contoso.com", "GHOST", "VMNODE1"));

        Assert.Equal(1, seq);
        await DirectorySyncActor.WaitAppliedAsync(_system, seq, TimeSpan.FromSeconds(15));
        await Eventually.AssertAsync(async () => Assert.Contains("ghost@contoso.com,GHOST,VMNODE1", await File.ReadAllTextAsync(DirectoryFile)),
            TimeSpan.FromSeconds(15));
        Assert.Equal("1", (await File.ReadAllTextAsync(Path.Combine(_dir.Path, DirectorySyncActor.StateFileName))).Trim());
    }

    [Fact]
    public async Task Should_answer_a_wait_for_an_edit_only_once_it_is_applied()
    {
        StartSync();
        var probe = DirectorySyncActor.WaitAppliedAsync(_system, 1, TimeSpan.FromSeconds(15));
        await Task.Delay(500);
        Assert.False(probe.IsCompleted, "nothing is recorded yet, so nothing can have been applied");

        var seq = await RecordAsync(Edit("ghost@contoso.com", "GHOST", "VMNODE1"));

        Assert.Equal(seq, (await probe).SequenceNr);
    }

    public void Dispose()
    {
        _harness.Dispose();
        _system.Terminate().Wait(TimeSpan.FromSeconds(20));
        _dir.Dispose();
    }
}
