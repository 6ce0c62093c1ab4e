using System.Text.RegularExpressions;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests.Messages;

public class MessageIdTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("abc123")]
    [InlineData("A-b_9")]
    [InlineData("0196f0c2e4c97a3b8d2f4e6a8c0b1d2e")]
    [InlineData("pickup-2024_01_01")]
    public void Should_accept_letters_digits_hyphens_and_underscores(string text)
    {
        Assert.True(MessageId.TryParse(text, out var id));
        Assert.Equal(text, id.Value.Value);
    }

    [Fact]
    public void Should_accept_64_characters_but_not_65()
    {
        Assert.True(MessageId.TryParse(new string('a', 64), out _));
        Assert.False(MessageId.TryParse(new string('a', 65), out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("..\\x")]
    [InlineData("../x")]
    [InlineData("a.b")]
    [InlineData("a:b")]
    [InlineData("é")]
    [InlineData("abc\n")]
    public void Should_reject_anything_unsafe_as_a_file_name(string? text)
    {
        Assert.False(MessageId.TryParse(text, out var id));
        Assert.Null(id);
    }

    [Fact]
    public void Should_throw_a_format_exception_when_parsing_an_invalid_id()
    {
        var ex = Assert.Throws<FormatException>(() => MessageId.Parse("a/b"));
        Assert.Contains("a/b", ex.Message);
    }

    [Fact]
    public void Should_create_32_lowercase_hex_digits_of_a_version_7_uuid()
    {
        var id = MessageId.New().Value;

        Assert.Matches(new Regex("^[0-9a-f]{32}$"), id);
        Assert.Equal('7', id[12]);
        Assert.True(MessageId.TryParse(id, out _));
    }

    [Fact]
    public void Should_create_a_different_id_every_time()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => MessageId.New()).ToHashSet();

        Assert.Equal(10_000, ids.Count);
    }

    [Fact]
    public void Should_derive_the_persistence_id_and_string_form_from_the_value()
    {
        var id = MessageId.Parse("abc123");

        Assert.Equal("msg-abc123", id.PersistenceId);
        Assert.Equal("abc123", id.ToString());
    }

    [Fact]
    public void Should_compare_equal_by_value()
    {
        Assert.Equal(MessageId.Parse("abc"), MessageId.Parse("abc"));
        Assert.NotEqual(MessageId.Parse("abc"), MessageId.Parse("ABC"));
    }
}
