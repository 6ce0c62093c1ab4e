using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests.Mapping;

public class SmtpRewriteProfileTests
{
    private static SourceAddress To(string address, string? name) => new(AddressRole.To, address, name);

    [Theory]
    [InlineData("{local}", "John.Smith@contoso.com", "John Smith", "john.smith@mail.example.net")]
    [InlineData("{first-initial}.{surname}", "js@contoso.com", "Smith, John", "j.smith@mail.example.net")]
    [InlineData("{given}.{surname}", "z@contoso.com", "Zoë Müller", "zoe.muller@mail.example.net")]
    [InlineData("{given}_{surname}", "x@contoso.com", "Anne-Marie O'Neil", "anne-marie_oneil@mail.example.net")]
    public void Should_rewrite_the_domain_and_render_the_local_part(string template, string address, string name, string expected)
    {
        var result = new SmtpRewriteProfile("Mail.Example.NET", template).Map(To(address, name));

        Assert.Equal(expected, Assert.IsType<AddressMapResult.Mapped>(result).Address.Target);
    }

    [Fact]
    public void Should_map_a_blank_display_name_when_the_template_uses_only_the_local_part()
    {
        var result = new SmtpRewriteProfile("example.net", "{local}").Map(To("jdoe@contoso.com", "     "));

        Assert.Equal("jdoe@example.net", Assert.IsType<AddressMapResult.Mapped>(result).Address.Target);
    }

    [Fact]
    public void Should_fail_a_blank_display_name_when_the_template_needs_a_name()
    {
        var result = new SmtpRewriteProfile("example.net", "{given}.{surname}").Map(To("jdoe@contoso.com", "\u00A0 "));

        Assert.Equal(ReasonCodes.MapBlankDisplayName, Assert.IsType<AddressMapResult.Failed>(result).ReasonCode);
    }

    [Fact]
    public void Should_fail_when_nothing_usable_is_left()
    {
        var result = new SmtpRewriteProfile("example.net", "{surname}").Map(To("x@contoso.com", "!!!"));

        Assert.Equal(ReasonCodes.MapUnusableDisplayName, Assert.IsType<AddressMapResult.Failed>(result).ReasonCode);
    }

    [Theory]
    [InlineData("example.net", "{Surname}")]
    [InlineData("example.net", "")]
    [InlineData("bad domain", "{local}")]
    [InlineData("a@b", "{local}")]
    public void Should_reject_invalid_configuration(string domain, string template)
    {
        Assert.Throws<FormatException>(() => new SmtpRewriteProfile(domain, template));
    }
}
