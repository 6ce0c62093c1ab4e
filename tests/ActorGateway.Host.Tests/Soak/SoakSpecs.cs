using ActorGateway.Benchmarks;
using Xunit.Abstractions;

namespace ActorGateway.Host.Tests.Soak;

/// <summary>
/// The short version of benchmark B8 (about 60 s of load): the real <c>gateway run</c> child fed through the pickup
/// directory and SMTP at once, 1% poison, mixed sizes, a transport outage and a kill -9 with a restart in the middle.
/// It asserts counts only, never times: nothing lost, nothing duplicated, exactly the poison dead-lettered.
/// </summary>
public sealed class SoakSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Should_lose_and_duplicate_nothing_and_dead_letter_exactly_the_poison_through_an_outage_and_a_kill()
    {
        var report = await ActorGateway.Benchmarks.Soak.RunAsync(SoakPlan.Short(), output.WriteLine);

        output.WriteLine($"offered {report.Offered}, pickup {report.PickupDropped}, SMTP acknowledged {report.SmtpAcknowledged} " +
                         $"(ambiguous at the kill {report.SmtpAmbiguous}, retries {report.SmtpRetries}), delivered {report.Delivered}, " +
                         $"dead letters {report.DeadLetters}, poison {report.PoisonExpected}, circuit opened {report.CircuitOpened}x");
        Assert.True(report.PoisonExpected > 0, "the run offered no poison");
        Assert.True(report.SmtpAcknowledged > 0 && report.PickupDropped > 0, "both ingresses must carry load");
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(report.PoisonExpected, report.DeadLetters);
        Assert.Equal(0, report.DeadLetteredHealthy);
        Assert.Equal(0, report.Badmail);
        Assert.Null(report.Problem);
    }
}
