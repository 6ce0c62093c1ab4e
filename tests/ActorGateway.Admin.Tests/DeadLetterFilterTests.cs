using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests;

public class DeadLetterFilterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static DeadLetterFilter? Parse(string query, out string? error, params string[] allowed)
    {
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .GroupBy(p => p[0])
            .Select(g => new KeyValuePair<string, string?[]>(g.Key, g.Select(p => (string?)Uri.UnescapeDataString(p.Length > 1 ? p[1] : "")).ToArray()));
        return DeadLetterFilter.TryParse(pairs, out error, allowed);
    }

    private static DeadLetterEntry Entry(string reason, Stage stage, string? route, DateTimeOffset at, IReadOnlyList<RecipientFailure>? recipients = null) =>
        new(MessageId.New(), reason, stage, "jdoe@contoso.com", "X", "x", 1, at, "test", recipients, Route: route);

    [Fact]
    public void Should_match_everything_when_empty()
    {
        var filter = Parse("", out var error);

        Assert.Null(error);
        Assert.True(filter!.IsEmpty);
        Assert.True(filter.Matches(Entry(ReasonCodes.NoRoute, Stage.Mapping, null, T0)));
    }

    [Fact]
    public void Should_match_by_reason_stage_route_and_time()
    {
        var filter = Parse("reason=GW-MAP-BLANK-DISPLAY-NAME,gw-no-route&stage=mapping&route=profs&since=2026-11-23T10:00:00Z&until=2026-11-23T11:00:00Z", out var error)!;

        Assert.Null(error);
        Assert.True(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0)));
        Assert.True(filter.Matches(Entry(ReasonCodes.NoRoute, Stage.Mapping, "PROFS", T0.AddMinutes(59))));
        Assert.False(filter.Matches(Entry(ReasonCodes.Expired, Stage.Mapping, "profs", T0)));
        Assert.False(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Delivery, "profs", T0)));
        Assert.False(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "partners", T0)));
        Assert.False(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0.AddMinutes(-1))));
        Assert.False(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0.AddHours(1)))); // until is exclusive
    }

    [Fact]
    public void Should_match_a_route_named_by_any_failed_recipient()
    {
        var filter = Parse("route=partners", out _)!;
        var failure = new RecipientFailure(AddressRole.Cc, "x@fabrikam.com", ReasonCodes.RecipientRefused, Stage.Delivery, "550", "partners");

        Assert.True(filter.Matches(Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0, [failure])));
    }

    [Theory]
    [InlineData("reson=GW-NO-ROUTE", "unknown query parameter 'reson'")]
    [InlineData("reason=blank", "not a reason code")]
    [InlineData("reason=", "reason is empty")]
    [InlineData("stage=parsing", "stage 'parsing'")]
    [InlineData("stage=1", "stage '1'")]
    [InlineData("since=yesterday", "not an ISO 8601 time")]
    [InlineData("since=2026-11-23T12:00:00Z&until=2026-11-23T11:00:00Z", "must be before until")]
    [InlineData("reason=GW-NO-ROUTE&reason=GW-EXPIRED", "more than once")]
    public void Should_refuse_a_malformed_filter(string query, string message)
    {
        var filter = Parse(query, out var error);

        Assert.Null(filter);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Should_let_the_endpoint_take_its_own_parameters()
    {
        Assert.NotNull(Parse("limit=5&reason=GW-NO-ROUTE", out _, "limit"));
        Assert.Null(Parse("limit=5", out _));
    }

    [Fact]
    public void Should_round_trip_through_a_query_string()
    {
        var filter = Parse("reason=GW-NO-ROUTE&stage=delivery&route=profs&since=2026-11-23T10:00:00Z", out _)!;

        var again = Parse(filter.ToQueryString(), out var error)!;

        Assert.Null(error);
        Assert.Equal(filter.ToQueryString(), again.ToQueryString());
        Assert.Equal(Stage.Delivery, again.Stage);
    }

    [Fact]
    public void Should_group_counts_by_reason_largest_first()
    {
        var entries = new[]
        {
            Entry(ReasonCodes.NoRoute, Stage.Mapping, null, T0),
            Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0.AddMinutes(1)),
            Entry(ReasonCodes.MapBlankDisplayName, Stage.Mapping, "profs", T0.AddMinutes(2)),
        };

        var groups = DeadLetterGrouping.Group(entries, "reason");

        Assert.Equal([(ReasonCodes.MapBlankDisplayName, 2), (ReasonCodes.NoRoute, 1)], groups.Select(g => (g.Key, g.Count)));
        Assert.Equal(T0.AddMinutes(1), groups[0].Oldest);
        Assert.Equal(T0.AddMinutes(2), groups[0].Newest);
        Assert.Equal(["-", "profs"], DeadLetterGrouping.Group(entries, "route").Select(g => g.Key).Order());
    }
}
