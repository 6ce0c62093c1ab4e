using Akka.Actor;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// The one mechanism for an actor's at-least-once sends: a send goes out at once and again every
/// interval until the receiver's answer confirms it. Receivers must be idempotent (the dead-letter
/// queue is, per message id and generation). Keyed, so one actor can have several sends pending,
/// and a new send under a key replaces the old one. Nothing is persisted: after a restart the
/// actor's journal says what is still owed, and the actor sends it again.
/// </summary>
/// <remarks>The owner routes <see cref="Resend"/> to <see cref="OnResend"/>; the timers are the owner's own.</remarks>
public sealed class AtLeastOnceSends(IActorRef owner, ITimerScheduler timers, TimeSpan interval)
{
    private readonly Dictionary<string, (IActorRef To, object Message)> _pending = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="message"/> to <paramref name="to"/> now and every interval until <see cref="Confirm"/>.</summary>
    public void Send(string key, IActorRef to, object message)
    {
        _pending[key] = (to, message);
        to.Tell(message, owner);
        timers.StartPeriodicTimer(TimerKey(key), new Resend(key), interval);
    }

    public bool IsPending(string key) => _pending.ContainsKey(key);

    /// <summary>The answer arrived (or the send is no longer owed): stop sending.</summary>
    public void Confirm(string key)
    {
        _pending.Remove(key);
        timers.Cancel(TimerKey(key));
    }

    public void OnResend(Resend resend)
    {
        if (_pending.TryGetValue(resend.Key, out var pending)) pending.To.Tell(pending.Message, owner);
        else timers.Cancel(TimerKey(resend.Key));
    }

    private static string TimerKey(string key) => "at-least-once:" + key;

    /// <summary>Timer: send the pending message under <paramref name="Key"/> again.</summary>
    public sealed record Resend(string Key);
}
