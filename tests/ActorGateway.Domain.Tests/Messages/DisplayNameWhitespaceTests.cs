using System.Text;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests.Messages;

/// <summary>A display name's white space reaches the mapper as it was written: a tab is reported as U+0009, not as a space.</summary>
public class DisplayNameWhitespaceTests
{
    private static SourceAddress Recipient(string toHeaderValue)
    {
        var text = $"From: jane@fabrikam.com\r\nTo: {toHeaderValue}\r\nSubject: x\r\n\r\nbody\r\n";
        var envelope = Assert.IsType<IntakeResult.Accepted>(MessageIntake.Parse(Encoding.UTF8.GetBytes(text), 1_000_000)).Envelope;
        return envelope.Recipients[0];
    }

    [Theory]
    [InlineData("\"\t\t\" <jdoe@contoso.com>", "\t\t")]
    [InlineData("\" \t \" <jdoe@contoso.com>", " \t ")]
    [InlineData("\"\t\" <jdoe@contoso.com>, \"Ann Other\" <ann@contoso.com>", "\t")]
    public void Should_keep_the_tabs_of_a_blank_quoted_display_name(string header, string expected)
    {
        Assert.Equal(expected, Recipient(header).DisplayName);
    }

    [Fact]
    public void Should_report_a_tab_only_display_name_as_U_0009_when_it_is_dead_lettered()
    {
        var recipient = Recipient("\"\t\t\" <jdoe@contoso.com>");

        var failed = Assert.IsType<ActorGateway.Domain.Mapping.AddressMapResult.Failed>(
            new ActorGateway.Domain.Mapping.ProfsAddressProfile("VMNODE1", ActorGateway.Domain.Mapping.UserIdTemplate.Parse("{first-initial}{surname}"), ActorGateway.Domain.Mapping.AddressDirectory.Empty).Map(recipient));

        Assert.Equal(ReasonCodes.MapBlankDisplayName, failed.ReasonCode);
        Assert.Contains("2 x U+0009", failed.Detail);
        Assert.DoesNotContain("U+0020", failed.Detail);
    }
}
