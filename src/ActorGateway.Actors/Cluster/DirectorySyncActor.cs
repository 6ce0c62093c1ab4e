using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Cluster;

/// <summary>
/// In a cluster, the directory edits (the <c>directory</c> record in the shared journal) are the source of the routes'
/// directory entries, and this node-local actor is the only writer of this node's directory files. It follows
/// <c>EventsByPersistenceId("directory")</c> and applies each <see cref="OperatorEvents.DirectoryEntrySet"/> to the file of
/// the same route in this node's data directory (the same temp-fsync-rename write as the admin API's, then a reload of
/// the route table), so an entry set through any node's console or API maps on every node, wherever a message's partition
/// runs. The last sequence number applied is kept in <c>{data-dir}/directory-sync.seq</c>: a node that was down catches up
/// from there when it starts, and an entry edited by hand in the file afterwards is not overwritten by old events.
/// A file that cannot be written is tried again every <c>retry</c> (<c>GW-DIRECTORY-WRITE-FAILED</c>); later edits wait
/// behind it, in order.
/// </summary>
public sealed class DirectorySyncActor : ReceiveActor, IWithTimers
{
    public const string Name = "directory-sync";
    public const string StateFileName = "directory-sync.seq";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Configuration.Config _config;
    private readonly string _dataDir;
    private readonly TimeSpan _retry;
    private readonly List<(long SequenceNr, IActorRef ReplyTo)> _waiting = [];
    private long _applied;
    private ActorMaterializer? _materializer;
    /// <summary>The record is being followed (the last applied edit is known to be in the journal): waits may be answered.</summary>
    private bool _following;

    public DirectorySyncActor(Akka.Configuration.Config config, string dataDir, TimeSpan retry)
    {
        _config = config;
        _dataDir = dataDir;
        _retry = retry;

        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        ReceiveAsync<EventEnvelope>(async envelope =>
        {
            var stream = Sender;
            if (envelope.SequenceNr <= _applied)
            {
                stream.Tell(StreamAck.Instance);
                return;
            }
            Timers.Cancel("retry");
            if (!await TryApplyAsync(envelope))
            {
                // Not acknowledged: the stream waits, and this edit is tried again (later ones stay behind it).
                Timers.StartSingleTimer("retry", new RetryApply(envelope, stream), _retry);
                return;
            }
            stream.Tell(StreamAck.Instance);
        });
        ReceiveAsync<RetryApply>(async retry =>
        {
            // Already applied (the stream was started again and brought it once more): never write an older edit back.
            if (retry.Envelope.SequenceNr <= _applied || await TryApplyAsync(retry.Envelope)) retry.Stream.Tell(StreamAck.Instance);
            else Timers.StartSingleTimer("retry", retry, _retry);
        });
        Receive<StreamEnded>(ended =>
        {
            Timers.Cancel("retry"); // the new stream brings the edit it was waiting on again
            _log.Warning("{Code} the directory record's stream ended ({Why}); following it again in {Retry}",
                ReasonCodes.DirectoryWriteFailed, ended.Cause?.Message ?? "completed", _retry);
            Timers.StartSingleTimer("restart", RestartStream.Instance, _retry);
        });
        Receive<RestartStream>(_ => StartStream());
        Receive<Begin>(_ => CheckBase());
        Receive<BaseUnknown>(unknown =>
        {
            _log.Warning("{Code} could not check the directory record ({Error}); trying again in {Retry}",
                ReasonCodes.DirectoryWriteFailed, unknown.Cause.GetBaseException().Message, _retry);
            Timers.StartSingleTimer("begin", Begin.Instance, _retry);
        });
        Receive<BaseChecked>(check =>
        {
            if (!check.Found)
            {
                _log.Warning("{Code} {File} says directory edit {Seq} was applied here, but the journal's directory record does not hold it " +
                             "(a new database?): applying the record again from its first edit", ReasonCodes.DirectoryWriteFailed, StateFile, _applied);
                _applied = 0;
            }
            StartStream();
        });
        Receive<WaitApplied>(wait =>
        {
            if (_following && _applied >= wait.SequenceNr) Sender.Tell(new Applied(_applied));
            else _waiting.Add((wait.SequenceNr, Sender));
        });
        Receive<RouteReloaderActor.Reloaded>(r =>
        {
            if (r.Error is not null) _log.Warning("{Code} a synced directory edit did not reload the routes: {Error}", ReasonCodes.DirectoryWriteFailed, r.Error);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Akka.Configuration.Config config, string dataDir, TimeSpan retry) =>
        Akka.Actor.Props.Create(() => new DirectorySyncActor(config, dataDir, retry));

    /// <summary>Asks for an answer once this node has applied the directory record up to <paramref name="sequenceNr"/>.</summary>
    public sealed record WaitApplied(long SequenceNr);

    /// <summary>This node's files hold every directory edit up to <see cref="SequenceNr"/>.</summary>
    public sealed record Applied(long SequenceNr);

    /// <summary>Waits until this node's directory files hold the edit recorded as <paramref name="sequenceNr"/>.</summary>
    public static Task<Applied> WaitAppliedAsync(ActorSystem system, long sequenceNr, TimeSpan timeout, CancellationToken ct = default) =>
        system.ActorSelection("/user/" + Name).Ask<Applied>(new WaitApplied(sequenceNr), timeout, ct);

    private string StateFile => Path.Combine(_dataDir, StateFileName);

    protected override void PreStart()
    {
        _applied = ReadState();
        _materializer = Context.Materializer(); // one for every stream this actor starts (each restart would leak another)
        // Not here: creating the read journal waits for the write journal (up to 5 s, and longer on a loaded node), and a
        // failure in PreStart would stop this actor for good.
        Self.Tell(Begin.Instance);
    }

    /// <summary>
    /// The journal must still hold the last edit this node applied: a data directory kept across a new database would
    /// otherwise wait for sequence numbers the new record reaches only much later, and skip every edit until then.
    /// </summary>
    private void CheckBase()
    {
        if (_applied == 0)
        {
            StartStream();
            return;
        }
        if (!TryJournal(out var journal)) return;
        journal.CurrentEventsByPersistenceId(DirectoryAuditActor.Name, _applied, _applied)
            .RunWith(Sink.FirstOrDefault<EventEnvelope>(), _materializer!)
            .PipeTo(Self, success: e => new BaseChecked(e is not null), failure: ex => new BaseUnknown(ex));
    }

    /// <summary>The read journal, or false with a retry scheduled (it cannot be created while the journal does not answer).</summary>
    private bool TryJournal(out SqlReadJournal journal)
    {
        try
        {
            journal = PersistenceQuery.Get(Context.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            return true;
        }
        catch (Exception ex)
        {
            _log.Warning("{Code} the journal's query side is not available ({Error}); following the directory record again in {Retry}",
                ReasonCodes.DirectoryWriteFailed, ex.GetBaseException().Message, _retry);
            Timers.StartSingleTimer("begin", Begin.Instance, _retry);
            journal = null!;
            return false;
        }
    }


    private long ReadState()
    {
        try
        {
            return File.Exists(StateFile) && long.TryParse(File.ReadAllText(StateFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning("{Code} {File} could not be read ({Error}); the directory edits are applied again from the first", ReasonCodes.DirectoryWriteFailed, StateFile, ex.Message);
            return 0;
        }
    }

    private void StartStream()
    {
        if (!TryJournal(out var journal)) return;
        _following = true;
        AnswerWaiters(); // those that asked while the last applied edit was being checked
        journal.EventsByPersistenceId(DirectoryAuditActor.Name, _applied + 1, long.MaxValue)
            .RunWith(Sink.ActorRefWithAck<EventEnvelope>(Self, StreamInit.Instance, StreamAck.Instance, new StreamEnded(null), ex => new StreamEnded(ex)),
                _materializer!);
    }

    /// <summary>Applies one event to this node's file (when it is a directory edit for a route this node has), records its number.</summary>
    private async Task<bool> TryApplyAsync(EventEnvelope envelope)
    {
        try
        {
            if (envelope.Event is OperatorEvents.DirectoryEntrySet edit && await ApplyAsync(edit))
            {
                var reloaded = await RouteReloaderActor.ReloadNowAsync(Context.System, TimeSpan.FromSeconds(10));
                Self.Tell(reloaded);
            }
            await DurableFile.WriteAsync(StateFile, Encoding.ASCII.GetBytes(envelope.SequenceNr.ToString(CultureInfo.InvariantCulture) + "\n"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or AskTimeoutException)
        {
            _log.Error("{Code} directory edit {Seq} was not applied on this node ({Error}); trying again in {Retry}",
                ReasonCodes.DirectoryWriteFailed, envelope.SequenceNr, ex.Message, _retry);
            return false;
        }
        _applied = envelope.SequenceNr;
        AnswerWaiters();
        return true;
    }

    private void AnswerWaiters()
    {
        foreach (var waiter in _waiting.Where(w => w.SequenceNr <= _applied).ToList())
        {
            waiter.ReplyTo.Tell(new Applied(_applied));
            _waiting.Remove(waiter);
        }
    }

    /// <returns>Whether the file changed.</returns>
    private async Task<bool> ApplyAsync(OperatorEvents.DirectoryEntrySet edit)
    {
        var file = RouteConfig.DirectoryFile(_config, _dataDir, edit.Route);
        if (file is null)
        {
            _log.Warning("{Code} directory edit for {Address} names route '{Route}', which has no directory file on this node; not applied here",
                ReasonCodes.DirectoryNotEditable, edit.Address, edit.Route);
            return false;
        }
        if (!await DirectoryFiles.UpsertAsync(file, [edit.New])) return false;
        _log.Info("{Code} directory entry {Address} -> {UserId}@{Node} (set by {By} on a node of the cluster) written to {File}",
            ReasonCodes.DirectoryEntrySet, edit.New.SourceAddress, edit.New.UserId, edit.New.Node, edit.By, file);
        return true;
    }

    private sealed record StreamInit
    {
        public static readonly StreamInit Instance = new();
    }

    private sealed record StreamAck
    {
        public static readonly StreamAck Instance = new();
    }

    private sealed record StreamEnded(Exception? Cause);

    private sealed record RestartStream
    {
        public static readonly RestartStream Instance = new();
    }

    private sealed record RetryApply(EventEnvelope Envelope, IActorRef Stream);

    private sealed record BaseChecked(bool Found);

    private sealed record BaseUnknown(Exception Cause);

    private sealed record Begin
    {
        public static readonly Begin Instance = new();
    }
}
