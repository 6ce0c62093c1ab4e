using System.Collections.Concurrent;
using Akka.Actor;
using ActorGateway.Actors;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Operations;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Messages;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Admin;

/// <summary>A message a bulk replay did not replay, and why (a stable code).</summary>
public sealed record ReplaySkip(MessageId MessageId, string Code, string Detail);

/// <summary>A bulk replay job as GET /api/v1/replay-jobs/{id} shows it.</summary>
/// <param name="Outstanding">Replayed by this job and not finished yet.</param>
/// <param name="MaxOutstanding">The most that were outstanding at once so far (never above <paramref name="OutstandingBound"/>).</param>
/// <param name="Outcomes">How the replayed messages ended so far, by outcome (delivered, dead-lettered, …).</param>
public sealed record ReplayJobView(
    string Id,
    string State,
    bool Done,
    string Filter,
    string By,
    string Why,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    int Matched,
    int Replayed,
    int Remaining,
    int Outstanding,
    int MaxOutstanding,
    int OutstandingBound,
    double Rate,
    int BusyRetries,
    IReadOnlyDictionary<string, int> Outcomes,
    IReadOnlyList<ReplaySkip> Skipped,
    IReadOnlyList<ReplaySkip> Failed);

/// <summary>
/// Decides when the next replay of a bulk job may start: at most <c>rate</c> per second. A job that
/// fell behind (waiting for outstanding replays) does not burst to catch up. Pure.
/// </summary>
public static class Pacing
{
    /// <returns>How long to wait from <paramref name="now"/>, and the earliest start after this one.</returns>
    public static (TimeSpan Delay, DateTimeOffset Next) Schedule(DateTimeOffset now, DateTimeOffset? next, double ratePerSecond)
    {
        var interval = TimeSpan.FromSeconds(1 / ratePerSecond);
        return next is null || now >= next ? (TimeSpan.Zero, now + interval) : (next.Value - now, next.Value + interval);
    }
}

/// <summary>One bulk replay: the entries a filter matched when it started, and its progress.</summary>
public sealed class ReplayJob
{
    private readonly object _lock = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly Dictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly List<ReplaySkip> _skipped = [];
    private readonly List<ReplaySkip> _failed = [];
    private int _replayed, _handled, _outstanding, _maxOutstanding, _busyRetries;
    private string _state = "running";
    private DateTimeOffset? _finishedAt;

    internal ReplayJob(string id, DeadLetterFilter filter, string by, string why, IReadOnlyList<DeadLetterEntry> entries, int bound, double rate, DateTimeOffset createdAt)
    {
        Id = id;
        Filter = filter;
        By = by;
        Why = why;
        Entries = entries;
        Bound = bound;
        Rate = rate;
        CreatedAt = createdAt;
    }

    public string Id { get; }
    public DeadLetterFilter Filter { get; }
    public string By { get; }
    public string Why { get; }
    public IReadOnlyList<DeadLetterEntry> Entries { get; }
    public int Bound { get; }
    public double Rate { get; }
    public DateTimeOffset CreatedAt { get; }
    internal CancellationToken Cancellation => _cancel.Token;
    internal Task? Runner { get; set; }

    public bool IsFinished
    {
        get
        {
            lock (_lock) return _finishedAt is not null;
        }
    }

    public void Cancel() => _cancel.Cancel();

    public ReplayJobView View()
    {
        lock (_lock)
        {
            return new ReplayJobView(Id, _state, _finishedAt is not null, Filter.ToQueryString(), By, Why, CreatedAt, _finishedAt,
                Entries.Count, _replayed, Entries.Count - _handled, _outstanding, _maxOutstanding, Bound, Rate, _busyRetries,
                new Dictionary<string, int>(_outcomes), [.. _skipped], [.. _failed]);
        }
    }

    internal void Started()
    {
        lock (_lock)
        {
            _outstanding++;
            _maxOutstanding = Math.Max(_maxOutstanding, _outstanding);
        }
    }

    internal void Settled(string? outcome)
    {
        lock (_lock)
        {
            _outstanding--;
            if (outcome is not null) _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        }
    }

    internal void Replayed()
    {
        lock (_lock)
        {
            _replayed++;
            _handled++;
        }
    }

    internal void Skipped(ReplaySkip skip)
    {
        lock (_lock)
        {
            _skipped.Add(skip);
            _handled++;
        }
    }

    internal void FailedOne(ReplaySkip failure)
    {
        lock (_lock)
        {
            _failed.Add(failure);
            _handled++;
        }
    }

    internal void BusyRetry()
    {
        lock (_lock) _busyRetries++;
    }

    internal void Finish(string state, DateTimeOffset at)
    {
        lock (_lock)
        {
            _state = state;
            _finishedAt = at;
        }
    }
}

/// <summary>
/// Runs bulk replays, paced so that a replay of 100,000 messages cannot flood the pipeline or the
/// target: at most <see cref="AdminOptions.ReplayRate"/> replays start per second, at most
/// <see cref="AdminOptions.MaxOutstanding"/> replayed messages of a job are unfinished at once, and none
/// starts while the gateway holds submissions back. Busy answers are waited out and asked again,
/// never dropped. Every replay is a <c>ReplayRequested</c> in the message's journal (who, why); jobs
/// themselves live in memory.
/// </summary>
public sealed class ReplayJobs : IDisposable
{
    private const int MaxUnavailableTries = 10;
    /// <summary>Busy answers one message may get before the job reports it failed (at the default retry-delay, about ten minutes).</summary>
    private const int MaxBusyTries = 600;
    private readonly ActorSystem _system;
    private readonly GatewayOperations _operations;
    private readonly AdminOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ReplayJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<MessageId, (ReplayJob Job, SemaphoreSlim Slots)> _outstanding = new();
    private readonly IActorRef _listener;

    public ReplayJobs(ActorSystem system, GatewayNode node, AdminOptions options, ILogger log, TimeProvider? time = null)
    {
        _system = system;
        _operations = node.Operations;
        _options = options;
        _log = log;
        _time = time ?? TimeProvider.System;
        _listener = system.ActorOf(Props.Create(() => new OutcomeListener(this)));
        system.EventStream.Subscribe(_listener, typeof(GatewayProtocol.MessageOutcome));
    }

    public IReadOnlyList<ReplayJobView> List() => _jobs.Values.OrderBy(j => j.CreatedAt).Select(j => j.View()).ToList();

    public ReplayJob? Get(string id) => _jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>Starts replaying <paramref name="entries"/> (what the filter matched now) in the background.</summary>
    public ReplayJob Start(DeadLetterFilter filter, IReadOnlyList<DeadLetterEntry> entries, string by, string why)
    {
        Trim();
        var job = new ReplayJob(Guid.CreateVersion7().ToString("N"), filter, by, why, entries, _options.MaxOutstanding, _options.ReplayRate, _time.GetUtcNow());
        _jobs[job.Id] = job;
        _log.LogInformation("{Code} Replay job {Job} started by {By}: {Matched} message(s) matching '{Filter}', at most {Rate}/s and {Bound} outstanding; why: {Why}",
            ReasonCodes.ReplayJob, job.Id, by, entries.Count, filter.ToQueryString(), _options.ReplayRate, _options.MaxOutstanding, why);
        job.Runner = Task.Run(() => RunAsync(job));
        return job;
    }

    private async Task RunAsync(ReplayJob job)
    {
        var ct = job.Cancellation;
        var slots = new SemaphoreSlim(job.Bound, job.Bound);
        DateTimeOffset? next = null;
        try
        {
            await RouteReloaderActor.ReloadNowAsync(_system, _options.CheckTimeout, ct);
            // Replays are asked for without waiting for each answer; the slots (one per replay, from the ask until the
            // message's outcome) bound how many are under way, the pacer how fast they start.
            var asking = new List<Task>();
            foreach (var entry in job.Entries)
            {
                await slots.WaitAsync(ct);
                (var delay, next) = Pacing.Schedule(_time.GetUtcNow(), next, job.Rate);
                if (delay > TimeSpan.Zero) await Task.Delay(delay, _time, ct);
                await WhileGatewayHoldsBackAsync(job, ct);
                asking.Add(ReplayOneAsync(job, entry, slots, ct));
                if (asking.Count >= 4 * job.Bound) asking.RemoveAll(t => t.IsCompletedSuccessfully);
            }
            await Task.WhenAll(asking);
            // Done when every replayed message has finished: all slots are back.
            for (var i = 0; i < job.Bound; i++) await slots.WaitAsync(ct);
            job.Finish("done", _time.GetUtcNow());
            var view = job.View();
            _log.LogInformation("{Code} Replay job {Job} done: {Replayed} replayed, {Skipped} skipped, {Failed} failed; outcomes {Outcomes}",
                ReasonCodes.ReplayJob, job.Id, view.Replayed, view.Skipped.Count, view.Failed.Count, string.Join(", ", view.Outcomes.Select(kv => $"{kv.Value} {kv.Key}")));
        }
        catch (OperationCanceledException)
        {
            job.Finish("cancelled", _time.GetUtcNow());
            _log.LogWarning("{Code} Replay job {Job} cancelled after {Replayed} replay(s); replayed messages go on", ReasonCodes.ReplayJob, job.Id, job.View().Replayed);
        }
        catch (Exception ex)
        {
            job.Finish("failed", _time.GetUtcNow());
            _log.LogError(ex, "{Code} Replay job {Job} failed: {Error}", ReasonCodes.ReplayJob, job.Id, ex.Message);
        }
    }

    /// <summary>The gateway's wait queue is in use: in-flight is at its bound, so a replay now would only queue. Wait.</summary>
    private async Task WhileGatewayHoldsBackAsync(ReplayJob job, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                var status = await _operations.StatusAsync(ct);
                if (status.Waiting == 0) return;
            }
            catch (AskTimeoutException)
            {
                // The gateway does not answer: waiting is all a replay could do too.
            }
            job.BusyRetry();
            await Task.Delay(_options.RetryDelay, _time, ct);
        }
    }

    private async Task ReplayOneAsync(ReplayJob job, DeadLetterEntry entry, SemaphoreSlim slots, CancellationToken ct)
    {
        var id = entry.MessageId;
        var unavailable = 0;
        var busy = 0;
        while (true)
        {
            // Tracked before asking, so its outcome cannot slip past. The slot the caller took goes with it.
            if (!Track(id, job, slots))
            {
                slots.Release();
                job.Skipped(new ReplaySkip(id, ReasonCodes.ReplayJob, "another replay job is replaying this message"));
                return;
            }
            var result = await _operations.ReplayAsync(id, job.By, job.Why, ct);
            if (result.Status == OperationStatus.Done)
            {
                job.Replayed();
                return;
            }
            Untrack(id, null);
            switch (result.Status)
            {
                case OperationStatus.Busy:
                    job.BusyRetry();
                    // The gateway at its bound says Busy for as long as it is full: wait that out. A message that
                    // answers Busy on its own for this long (it keeps failing to start) is reported, not waited on for ever.
                    if (++busy >= MaxBusyTries)
                    {
                        job.FailedOne(new ReplaySkip(id, result.Code, $"still busy after {MaxBusyTries} tries: {result.Detail}"));
                        return;
                    }
                    await Task.Delay(_options.RetryDelay, _time, ct);
                    await slots.WaitAsync(ct);
                    continue;
                case OperationStatus.Unavailable:
                    // The replay may have taken effect even so: the journal says.
                    await Task.Delay(_options.RetryDelay * Math.Min(1 << Math.Min(unavailable, 5), 30), _time, ct);
                    await slots.WaitAsync(ct);
                    if (await ReplayedMeanwhileAsync(job, entry, slots, ct)) return;
                    if (++unavailable >= MaxUnavailableTries)
                    {
                        job.FailedOne(new ReplaySkip(id, result.Code, result.Detail));
                        return;
                    }
                    await slots.WaitAsync(ct);
                    continue;
                default:
                    job.Skipped(new ReplaySkip(id, result.Code, result.Detail));
                    return;
            }
        }
    }

    /// <summary>
    /// After an unanswered replay: whether the journal shows it happened. Takes over the caller's slot: kept while the
    /// replayed message runs, released otherwise.
    /// </summary>
    private async Task<bool> ReplayedMeanwhileAsync(ReplayJob job, DeadLetterEntry entry, SemaphoreSlim slots, CancellationToken ct)
    {
        if (!Track(entry.MessageId, job, slots))
        {
            slots.Release();
            return false;
        }
        MessageView? view;
        try
        {
            view = await _operations.GetMessageAsync(entry.MessageId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            view = null;
        }
        if (view is null || view.State.Replays <= entry.Replays)
        {
            Untrack(entry.MessageId, null);
            return false;
        }
        job.Replayed();
        if (view.State.IsFinished) Untrack(entry.MessageId, view.State.Outcome);
        return true;
    }

    private bool Track(MessageId id, ReplayJob job, SemaphoreSlim slots)
    {
        if (!_outstanding.TryAdd(id, (job, slots))) return false;
        job.Started();
        return true;
    }

    /// <summary>Settles a tracked replay: frees its slot. Returns the slot to the semaphore (the caller re-acquires when it goes on).</summary>
    private void Untrack(MessageId id, string? outcome)
    {
        if (!_outstanding.TryRemove(id, out var tracked)) return;
        tracked.Job.Settled(outcome);
        tracked.Slots.Release();
    }

    private void Trim()
    {
        var finished = _jobs.Values.Where(j => j.IsFinished).OrderBy(j => j.CreatedAt).ToList();
        foreach (var old in finished.Take(Math.Max(0, finished.Count - _options.JobsKept + 1))) _jobs.TryRemove(old.Id, out _);
    }

    public void Dispose()
    {
        foreach (var job in _jobs.Values) job.Cancel();
        _system.EventStream.Unsubscribe(_listener);
        _listener.Tell(PoisonPill.Instance);
    }

    /// <summary>Settles a job's replayed message when the gateway publishes its outcome.</summary>
    private sealed class OutcomeListener : ReceiveActor
    {
        public OutcomeListener(ReplayJobs owner) =>
            Receive<GatewayProtocol.MessageOutcome>(o => owner.Untrack(o.MessageId, o.Outcome));
    }
}
