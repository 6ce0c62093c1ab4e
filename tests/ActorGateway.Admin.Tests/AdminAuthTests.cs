using System.Net;
using System.Net.Http.Headers;
using ActorGateway.Admin.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests;

/// <summary>Bearer-token rules, over real Kestrel on port 0.</summary>
public sealed class AdminAuthTests
{
    private static HttpRequestMessage Post(string path, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    [Fact]
    public async Task Should_answer_401_with_a_bearer_challenge_without_an_authorization_header()
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = null;

        using var mutation = await admin.Client.SendAsync(Post($"/api/v1/messages/{MessageId.New()}/hold", null));
        using var read = await admin.Client.GetAsync("/api/v1/deadletters");

        await ProblemAssert.IsProblemAsync(mutation, 401, ReasonCodes.AdminUnauthorized);
        Assert.StartsWith("Bearer", mutation.Headers.WwwAuthenticate.ToString());
        // With a token configured, reads need it too: the quarantine names people.
        await ProblemAssert.IsProblemAsync(read, 401, ReasonCodes.AdminUnauthorized);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    [InlineData(AdminNode.Token)]
    public async Task Should_answer_401_to_a_malformed_authorization_header(string header)
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = null;

        using var response = await admin.Client.SendAsync(Post($"/api/v1/messages/{MessageId.New()}/replay", header));

        await ProblemAssert.IsProblemAsync(response, 401, ReasonCodes.AdminUnauthorized);
    }

    [Fact]
    public async Task Should_answer_403_to_a_wrong_token()
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminNode.Token + "x");

        using var mutation = await admin.Client.SendAsync(Post($"/api/v1/messages/{MessageId.New()}/purge", null));
        using var read = await admin.Client.GetAsync("/api/v1/status");

        await ProblemAssert.IsProblemAsync(mutation, 403, ReasonCodes.AdminForbidden);
        await ProblemAssert.IsProblemAsync(read, 403, ReasonCodes.AdminForbidden);
    }

    [Fact]
    public async Task Should_let_the_right_token_through()
    {
        await using var admin = await AdminNode.StartAsync();

        using var status = await admin.Client.GetAsync("/api/v1/status");
        using var hold = await admin.PostAsync($"/api/v1/messages/{MessageId.New()}/hold", new { why = "test" });

        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        // Past authentication: the gateway itself answers (no such message).
        await ProblemAssert.IsProblemAsync(hold, 404, ReasonCodes.MessageNotFound);
    }

    [Fact]
    public async Task Should_refuse_mutations_but_allow_reads_on_loopback_when_no_token_is_configured()
    {
        await using var admin = await AdminNode.StartAsync(token: null);

        using var read = await admin.Client.GetAsync("/api/v1/deadletters");
        using var mutation = await admin.PostAsync($"/api/v1/messages/{MessageId.New()}/replay", new { why = "test" });
        using var withSomeToken = await admin.Client.SendAsync(Post($"/api/v1/messages/{MessageId.New()}/replay", "Bearer anything-at-all-0123456789"));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var problem = await ProblemAssert.IsProblemAsync(mutation, 403, ReasonCodes.AdminTokenRequired);
        Assert.Contains(AdminOptions.TokenEnvironmentVariable, (string?)problem["detail"]);
        await ProblemAssert.IsProblemAsync(withSomeToken, 403, ReasonCodes.AdminTokenRequired);
    }

    [Fact]
    public async Task Should_answer_only_requests_for_a_loopback_host_when_no_token_is_configured()
    {
        await using var admin = await AdminNode.StartAsync(token: null);

        // A page on attacker.example that rebinds its name to 127.0.0.1 sends its own name as Host.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/v1/deadletters") { Headers = { Host = "attacker.example" } };
        using var refused = await admin.Client.SendAsync(rebound);
        using var byName = new HttpRequestMessage(HttpMethod.Get, "/api/v1/deadletters") { Headers = { Host = "localhost" } };
        using var allowed = await admin.Client.SendAsync(byName);
        using var probe = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Headers = { Host = "attacker.example" } };
        using var health = await admin.Client.SendAsync(probe);

        await ProblemAssert.IsProblemAsync(refused, 403, ReasonCodes.AdminForbidden);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Should_keep_health_readiness_and_metrics_open()
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = null;

        using var health = await admin.Client.GetAsync("/healthz");
        using var ready = await admin.Client.GetAsync("/readyz");
        using var metrics = await admin.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Should_refuse_to_start_on_a_non_loopback_address_without_a_token()
    {
        var options = new AdminOptions { EndPoint = new IPEndPoint(IPAddress.Any, 0), Token = null };

        var ex = Assert.Throws<AdminConfigurationException>(() => options.Validated());

        Assert.Equal(ReasonCodes.AdminTokenRequired, ex.Code);
    }
}
