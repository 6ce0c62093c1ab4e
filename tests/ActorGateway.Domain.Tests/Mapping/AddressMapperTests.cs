using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Tests.TestData;

namespace ActorGateway.Domain.Tests.Mapping;

public class AddressMapperTests
{
    private static readonly RouteTable Routes = new([new Route("contoso", ["contoso.com", "*.contoso.com"], Profile())]);

    [Fact]
    public void Should_map_a_recipient_on_a_routed_domain_through_its_profile()
    {
        var result = AddressMapper.MapRecipient(To("john@contoso.com", "John Smith"), Routes);

        var mapped = Assert.IsType<AddressMapResult.Mapped>(result);
        Assert.Equal(new MappedAddress(AddressRole.To, "john@contoso.com", "JSMITH@VMNODE1", "template", Route: "contoso", Transport: "spool"), mapped.Address);
    }

    [Fact]
    public void Should_match_the_recipient_domain_case_insensitively()
    {
        Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapRecipient(To("john@CONTOSO.Com", "John Smith"), Routes));
    }

    [Fact]
    public void Should_fail_a_recipient_no_route_covers_with_no_route()
    {
        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(To("bob@fabrikam.com", "Bob Jones"), Routes));

        Assert.Equal(ReasonCodes.NoRoute, failed.ReasonCode);
        Assert.Equal("GW-NO-ROUTE", failed.ReasonCode);
        Assert.Contains("fabrikam.com", failed.Detail);
    }

    [Theory]
    [InlineData("jsmith")]
    [InlineData("jsmith@")]
    [InlineData("")]
    public void Should_fail_a_recipient_without_a_domain_as_an_invalid_address(string address)
    {
        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(To(address, "John Smith"), Routes));

        Assert.Equal(ReasonCodes.MapInvalidAddress, failed.ReasonCode);
    }

    [Fact]
    public void Should_fail_a_recipient_without_a_domain_even_with_a_catch_all_route()
    {
        var routes = new RouteTable([new Route("all", ["*"], Profile())]);

        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(To("jsmith", "John Smith"), routes));

        Assert.Equal(ReasonCodes.MapInvalidAddress, failed.ReasonCode);
    }

    [Fact]
    public void Should_pass_the_profile_failure_through_for_a_routed_recipient()
    {
        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(To("jdoe@contoso.com", "     "), Routes));

        Assert.Equal(ReasonCodes.MapBlankDisplayName, failed.ReasonCode);
    }

    [Theory]
    [InlineData("sub.contoso.com", true)]
    [InlineData("a.b.contoso.com", true)]
    [InlineData("SUB.Contoso.COM", true)]
    [InlineData("contoso.com", false)]
    [InlineData("evilcontoso.com", false)]
    [InlineData("contoso.com.evil.org", false)]
    [InlineData("fabrikam.com", false)]
    public void Should_cover_only_subdomains_with_a_wildcard_pattern(string domain, bool covered)
    {
        var route = new Route("subs", ["*.contoso.com"], Profile());

        Assert.Equal(covered, route.Covers(domain));
    }

    [Theory]
    [InlineData("contoso.com", true)]
    [InlineData("Contoso.COM", true)]
    [InlineData("sub.contoso.com", false)]
    public void Should_cover_an_exact_domain_case_insensitively(string domain, bool covered)
    {
        Assert.Equal(covered, new Route("exact", ["contoso.com"], Profile()).Covers(domain));
    }

    [Fact]
    public void Should_route_a_subdomain_recipient_but_not_the_parent_with_only_a_wildcard_route()
    {
        var routes = new RouteTable([new Route("subs", ["*.contoso.com"], Profile())]);

        Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapRecipient(To("john@sub.contoso.com", "John Smith"), routes));
        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(To("john@contoso.com", "John Smith"), routes));
        Assert.Equal(ReasonCodes.NoRoute, failed.ReasonCode);
    }

    [Fact]
    public void Should_cover_every_domain_with_a_star_route_but_never_an_empty_one()
    {
        var routes = new RouteTable([new Route("all", ["*"], Profile())]);

        Assert.NotNull(routes.Find("anything.example"));
        Assert.Null(routes.Find(""));
    }

    [Fact]
    public void Should_use_the_first_route_that_covers_a_domain()
    {
        var first = new ProfsAddressProfile("FIRST", UserIdTemplate.Parse(UserIdTemplate.Default), AddressDirectory.Empty);
        var second = new ProfsAddressProfile("SECOND", UserIdTemplate.Parse(UserIdTemplate.Default), AddressDirectory.Empty);
        var routes = new RouteTable([
            new Route("other", ["fabrikam.com"], second),
            new Route("first", ["*.contoso.com", "contoso.com"], first),
            new Route("second", ["*"], second),
        ]);

        Assert.Equal("first", routes.Find("contoso.com")?.Name);
        Assert.Equal("second", routes.Find("example.org")?.Name);
        var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapRecipient(To("john@contoso.com", "John Smith"), routes));
        Assert.Equal("JSMITH@FIRST", mapped.Address.Target);
    }

    [Fact]
    public void Should_return_no_route_from_an_empty_table()
    {
        Assert.Null(new RouteTable([]).Find("contoso.com"));
    }

    [Fact]
    public void Should_pass_a_sender_on_an_unrouted_domain_through_unchanged()
    {
        var sender = new SourceAddress(AddressRole.Sender, "Jane.Doe@Fabrikam.com", null);

        var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapSender(sender, Routes));

        Assert.Equal(new MappedAddress(AddressRole.Sender, "Jane.Doe@Fabrikam.com", "Jane.Doe@Fabrikam.com", "passthrough"), mapped.Address);
    }

    [Fact]
    public void Should_pass_a_sender_without_a_domain_through_unchanged()
    {
        var sender = new SourceAddress(AddressRole.Sender, "postmaster", "     ");

        var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapSender(sender, Routes));

        Assert.Equal("passthrough", mapped.Address.Method);
        Assert.Equal("postmaster", mapped.Address.Target);
    }

    [Fact]
    public void Should_map_a_sender_on_a_routed_domain()
    {
        var sender = new SourceAddress(AddressRole.Sender, "john@contoso.com", "Smith, John");

        var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapSender(sender, Routes));

        Assert.Equal(new MappedAddress(AddressRole.Sender, "john@contoso.com", "JSMITH@VMNODE1", "template", Route: "contoso"), mapped.Address);
    }

    [Fact]
    public void Should_fail_a_sender_on_a_routed_domain_that_cannot_be_mapped()
    {
        var sender = new SourceAddress(AddressRole.Sender, "jdoe@contoso.com", "     ");

        var failed = Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapSender(sender, Routes));

        Assert.Equal(ReasonCodes.MapBlankDisplayName, failed.ReasonCode);
    }

    [Fact]
    public void Should_map_each_recipient_of_an_envelope_on_its_own()
    {
        var envelope = new MessageEnvelope(
            new SourceAddress(AddressRole.Sender, "bob@fabrikam.com", "Bob"),
            [To("john@contoso.com", "John Smith"), To("ghost@contoso.com", "   "), To("x@elsewhere.example", "X Y")],
            null, null);

        var mapping = AddressMapper.MapEnvelope(envelope, Routes);

        Assert.Equal("passthrough", Assert.IsType<AddressMapResult.Mapped>(mapping.Sender).Address.Method);
        Assert.Equal(["JSMITH@VMNODE1"], mapping.Recipients.Select(r => r.Target));
        Assert.Equal([("ghost@contoso.com", ReasonCodes.MapBlankDisplayName, "contoso"), ("x@elsewhere.example", ReasonCodes.NoRoute, (string?)null)],
            mapping.Failed.Select(f => (f.Address, f.Reason, f.Route)));
    }
}
