using System.Net.Sockets;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests.Failures;

public class FailureClassifierTests
{
    public static TheoryData<Exception, FailureKind> Verdicts => new()
    {
        { new PermanentMessageException(ReasonCodes.ContentMissing, "content gone"), FailureKind.Permanent },
        { new AddressMappingException(ReasonCodes.MapBlankDisplayName, new SourceAddress(AddressRole.To, "jdoe@contoso.com", "     "), "blank"), FailureKind.Permanent },
        { new TransientFailureException("target down"), FailureKind.Transient },
        { new IOException("disk full"), FailureKind.Transient },
        { new FileNotFoundException("spool file"), FailureKind.Transient },
        { new TimeoutException(), FailureKind.Transient },
        { new SocketException((int)SocketError.ConnectionRefused), FailureKind.Transient },
        { new UnauthorizedAccessException(), FailureKind.Transient },
        { new InvalidOperationException(), FailureKind.Unknown },
        { new NullReferenceException(), FailureKind.Unknown },
        { new ArgumentException("bad"), FailureKind.Unknown },
        { new FormatException(), FailureKind.Unknown },
        { new Exception("plain"), FailureKind.Unknown },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Should_classify_each_exception_type(Exception exception, FailureKind expected)
    {
        Assert.Equal(expected, FailureClassifier.Classify(exception));
    }

    [Fact]
    public void Should_take_the_reason_code_from_a_permanent_failure()
    {
        Assert.Equal(ReasonCodes.ContentMissing, FailureClassifier.ReasonCode(new PermanentMessageException(ReasonCodes.ContentMissing, "gone")));
    }

    [Fact]
    public void Should_take_the_reason_code_from_an_address_mapping_failure()
    {
        var ex = new AddressMappingException(ReasonCodes.NoRoute, new SourceAddress(AddressRole.Cc, "bob@fabrikam.com", "Bob"), "no route");

        Assert.Equal(FailureKind.Permanent, FailureClassifier.Classify(ex));
        Assert.Equal("GW-NO-ROUTE", FailureClassifier.ReasonCode(ex));
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(NullReferenceException))]
    [InlineData(typeof(TimeoutException))]
    [InlineData(typeof(IOException))]
    public void Should_use_the_unhandled_code_for_anything_that_is_not_permanent(Type exceptionType)
    {
        var ex = (Exception)Activator.CreateInstance(exceptionType)!;

        Assert.Equal(ReasonCodes.Unhandled, FailureClassifier.ReasonCode(ex));
        Assert.Equal("GW-UNHANDLED", FailureClassifier.ReasonCode(ex));
    }

    [Fact]
    public void Should_carry_the_address_and_code_in_an_address_mapping_exception()
    {
        var source = new SourceAddress(AddressRole.To, "jdoe@contoso.com", "     ");

        var ex = new AddressMappingException(ReasonCodes.MapBlankDisplayName, source, "display name is blank");

        Assert.Equal("jdoe@contoso.com", ex.Address);
        Assert.Same(source, ex.SourceAddress);
        Assert.Equal("GW-MAP-BLANK-DISPLAY-NAME: cannot map To \"     \" <jdoe@contoso.com>: display name is blank", ex.Message);
    }

    [Fact]
    public void Should_keep_the_inner_exception_of_a_transient_failure()
    {
        var inner = new IOException("broken pipe");

        Assert.Same(inner, new TransientFailureException("target down", inner).InnerException);
    }
}

public class FailureClassifierOverrideTests
{
    [Fact]
    public void Should_let_configured_overrides_win_by_type_or_base_type()
    {
        var overrides = new Dictionary<string, FailureKind>
        {
            ["System.FormatException"] = FailureKind.Permanent,
            ["System.IO.IOException"] = FailureKind.Unknown,
        };

        Assert.Equal(FailureKind.Permanent, FailureClassifier.Classify(new FormatException("bad"), overrides));
        Assert.Equal(FailureKind.Unknown, FailureClassifier.Classify(new FileNotFoundException("gone"), overrides)); // via its base type
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(new TimeoutException(), overrides)); // not overridden
        Assert.Equal(FailureKind.Unknown, FailureClassifier.Classify(new FormatException("bad"), null));
    }

    [Theory]
    [InlineData("permanent", FailureKind.Permanent)]
    [InlineData(" Transient ", FailureKind.Transient)]
    [InlineData("UNKNOWN", FailureKind.Unknown)]
    public void Should_parse_kind_names(string text, FailureKind expected) => Assert.Equal(expected, FailureClassifier.ParseKind(text));

    [Fact]
    public void Should_reject_an_unknown_kind_name() => Assert.Throws<FormatException>(() => FailureClassifier.ParseKind("sometimes"));
}
