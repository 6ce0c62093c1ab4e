using ActorGateway.Domain.Mapping;

namespace ActorGateway.Domain.Tests.Mapping;

public class AddressDirectoryTests
{
    private static (AddressDirectory Directory, IReadOnlyList<DirectoryProblem> Problems) Parse(string csv, int maxLength = 8)
    {
        var directory = AddressDirectory.Parse(csv, maxLength, out var problems);
        return (directory, problems);
    }

    [Fact]
    public void Should_parse_rows_and_uppercase_user_id_and_node()
    {
        var (directory, problems) = Parse("ceo@contoso.com,CEO,VMNODE1\nlinus@contoso.com,torvalds,vmnode2\n");

        Assert.Empty(problems);
        Assert.Equal(2, directory.Count);
        Assert.True(directory.TryFind("linus@contoso.com", out var entry));
        Assert.Equal(new DirectoryEntry("linus@contoso.com", "TORVALDS", "VMNODE2"), entry);
    }

    [Fact]
    public void Should_skip_a_header_row_on_the_first_line()
    {
        var (directory, problems) = Parse("source-address,userid,node\nceo@contoso.com,CEO,VMNODE1\n");

        Assert.Empty(problems);
        Assert.Equal(1, directory.Count);
    }

    [Fact]
    public void Should_skip_a_header_row_that_follows_leading_comments()
    {
        // The bundled samples/directory.csv opens with a comment and then the header row.
        const string csv = """
            # source-address,USERID,NODE  (consulted before the display-name template)
            source-address,userid,node
            ceo@contoso.com,CEO,VMNODE1
            linus@contoso.com,TORVALDS,VMNODE2
            """;

        var (directory, problems) = Parse(csv);

        Assert.Empty(problems);
        Assert.Equal(2, directory.Count);
    }

    [Fact]
    public void Should_report_a_header_like_row_after_the_first_row()
    {
        var (directory, problems) = Parse("ceo@contoso.com,CEO,VMNODE1\nsource-address,userid,node\n");

        Assert.Equal(1, directory.Count);
        var problem = Assert.Single(problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.Contains("'source-address' is not an address", problem.Reason);
    }

    [Fact]
    public void Should_ignore_comments_blank_lines_and_carriage_returns()
    {
        var (directory, problems) = Parse("# directory\r\n\r\n   \r\nceo@contoso.com,CEO,VMNODE1\r\n  # indented comment\r\n\r\n");

        Assert.Empty(problems);
        Assert.True(directory.TryFind("ceo@contoso.com", out var entry));
        Assert.Equal("VMNODE1", entry.Node);
    }

    [Fact]
    public void Should_trim_quotes_and_spaces_around_columns()
    {
        var (directory, problems) = Parse(" \"ceo@contoso.com\" , \"CEO\" , VMNODE1 ");

        Assert.Empty(problems);
        Assert.True(directory.TryFind("ceo@contoso.com", out var entry));
        Assert.Equal(new DirectoryEntry("ceo@contoso.com", "CEO", "VMNODE1"), entry);
    }

    [Theory]
    [InlineData("a@contoso.com,A", 2)]
    [InlineData("a@contoso.com,A,VMNODE1,extra", 4)]
    [InlineData("a@contoso.com", 1)]
    public void Should_report_a_wrong_column_count_with_its_line_number(string row, int columns)
    {
        var (directory, problems) = Parse($"ceo@contoso.com,CEO,VMNODE1\n{row}\n");

        Assert.Equal(1, directory.Count);
        var problem = Assert.Single(problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.Equal($"expected 3 columns (source-address,USERID,NODE), found {columns}", problem.Reason);
    }

    [Theory]
    [InlineData("a@contoso.com,JSMITHXYZ,VMNODE1", "USERID 'JSMITHXYZ'")]
    [InlineData("a@contoso.com,J-SMITH,VMNODE1", "USERID 'J-SMITH'")]
    [InlineData("a@contoso.com,J SMITH,VMNODE1", "USERID 'J SMITH'")]
    [InlineData("a@contoso.com,JÖRG,VMNODE1", "USERID 'JÖRG'")]
    [InlineData("a@contoso.com,,VMNODE1", "USERID ''")]
    [InlineData("a@contoso.com,JSMITH,VMNODE123", "NODE 'VMNODE123'")]
    [InlineData("a@contoso.com,JSMITH,VM.NODE", "NODE 'VM.NODE'")]
    [InlineData("a@contoso.com,JSMITH,", "NODE ''")]
    public void Should_report_an_invalid_user_id_or_node(string row, string reasonStart)
    {
        var (directory, problems) = Parse($"# header comment\n{row}\n");

        Assert.Equal(0, directory.Count);
        var problem = Assert.Single(problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.StartsWith(reasonStart, problem.Reason);
        Assert.EndsWith("is not 1-8 characters of A-Z and 0-9", problem.Reason);
    }

    [Fact]
    public void Should_check_identifiers_against_the_given_maximum_length()
    {
        var (directory, problems) = Parse("a@contoso.com,JSMITHXYZ,VMNODE123", maxLength: 10);

        Assert.Empty(problems);
        Assert.True(directory.TryFind("a@contoso.com", out var entry));
        Assert.Equal("JSMITHXYZ", entry.UserId);
    }

    [Fact]
    public void Should_report_a_duplicate_and_keep_the_first_entry()
    {
        var (directory, problems) = Parse("ceo@contoso.com,CEO,VMNODE1\n# second\nCEO@Contoso.com,OTHER,VMNODE2\n");

        Assert.Equal(1, directory.Count);
        var problem = Assert.Single(problems);
        Assert.Equal(3, problem.LineNumber);
        Assert.Contains("listed twice", problem.Reason);
        Assert.True(directory.TryFind("ceo@contoso.com", out var entry));
        Assert.Equal("CEO", entry.UserId);
    }

    [Fact]
    public void Should_report_every_bad_line_and_keep_every_good_one()
    {
        const string csv = "a@contoso.com,A,N1\nnot-an-address,B,N1\nc@contoso.com,C\nd@contoso.com,D,N1\nd@contoso.com,D2,N1\n";

        var (directory, problems) = Parse(csv);

        Assert.Equal(2, directory.Count);
        Assert.Equal(new[] { 2, 3, 5 }, problems.Select(p => p.LineNumber));
    }

    [Theory]
    [InlineData("ceo@contoso.com")]
    [InlineData("CEO@CONTOSO.COM")]
    [InlineData("  Ceo@Contoso.Com  ")]
    public void Should_look_up_case_insensitively_and_ignore_surrounding_spaces(string address)
    {
        var (directory, _) = Parse("ceo@contoso.com,CEO,VMNODE1");

        Assert.True(directory.TryFind(address, out var entry));
        Assert.Equal("CEO", entry.UserId);
    }

    [Fact]
    public void Should_not_find_an_address_it_does_not_list()
    {
        var (directory, _) = Parse("ceo@contoso.com,CEO,VMNODE1");

        Assert.False(directory.TryFind("cfo@contoso.com", out _));
        Assert.False(AddressDirectory.Empty.TryFind("ceo@contoso.com", out _));
        Assert.Equal(0, AddressDirectory.Empty.Count);
    }

    [Theory]
    [InlineData("A", 8, true)]
    [InlineData("JSMITH01", 8, true)]
    [InlineData("JSMITH012", 8, false)]
    [InlineData("", 8, false)]
    [InlineData(null, 8, false)]
    [InlineData("jsmith", 8, false)]
    [InlineData("J_SMITH", 8, false)]
    [InlineData("É", 8, false)]
    public void Should_accept_only_uppercase_letters_and_digits_up_to_the_maximum_length(string? value, int maxLength, bool valid)
    {
        Assert.Equal(valid, TargetIdentifier.IsValid(value, maxLength));
    }

    [Theory]
    [InlineData("jdoe@contoso.com", "JDOE", "VMNODE1", null)]
    [InlineData("jdoe@contoso.com", "jdoe", "vmnode1", null)]
    [InlineData("jdoe@contoso.com", "J.DOE", "VMNODE1", "USERID 'J.DOE'")]
    [InlineData("jdoe@contoso.com", "JOHNDOE01", "VMNODE1", "USERID 'JOHNDOE01'")]
    [InlineData("jdoe@contoso.com", "JDOE", "", "NODE ''")]
    [InlineData("jdoe@contoso.com", "JDOE", "VM NODE", "NODE 'VM NODE'")]
    [InlineData("jdoe", "JDOE", "VMNODE1", "is not an address")]
    [InlineData("a@b.com,x@y.com", "JDOE", "VMNODE1", "is not an address")]
    [InlineData("\"<b>\"@contoso.com", "JDOE", "VMNODE1", "is not an address")]
    public void Should_check_an_entry_by_the_rule_the_file_is_read_with(string source, string userId, string node, string? problem)
    {
        var found = AddressDirectory.Check(source, userId, node, 8);

        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
        // The file's reader applies the same rule to the same row (after a first row, so it is not taken for the header).
        AddressDirectory.Parse($"ceo@contoso.com,CEO,VMNODE1\n{source},{userId},{node}", 8, out var problems);
        Assert.Equal(problem is null && !source.Contains(','), problems.Count == 0);
    }

    [Fact]
    public void Should_replace_the_row_of_an_address_and_keep_comments_header_and_other_rows()
    {
        const string csv = "# comment\nsource-address,userid,node\nceo@contoso.com,CEO,VMNODE1\nJDOE@contoso.com,OLD,VMNODE9\n";

        var text = AddressDirectory.Upsert(csv, new DirectoryEntry("jdoe@contoso.com", "JDOE", "VMNODE1"));

        Assert.Equal("# comment\nsource-address,userid,node\nceo@contoso.com,CEO,VMNODE1\njdoe@contoso.com,JDOE,VMNODE1\n", text);
        var directory = AddressDirectory.Parse(text, 8, out var problems);
        Assert.Empty(problems);
        Assert.True(directory.TryFind("jdoe@contoso.com", out var entry));
        Assert.Equal("JDOE", entry.UserId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ceo@contoso.com,CEO,VMNODE1")]
    [InlineData("ceo@contoso.com,CEO,VMNODE1\n")]
    public void Should_append_the_row_of_a_new_address(string csv)
    {
        var text = AddressDirectory.Upsert(csv, new DirectoryEntry("jdoe@contoso.com", "JDOE", "VMNODE1"));

        Assert.EndsWith("jdoe@contoso.com,JDOE,VMNODE1\n", text);
        var directory = AddressDirectory.Parse(text, 8, out var problems);
        Assert.Empty(problems);
        Assert.Equal(csv.Length == 0 ? 1 : 2, directory.Count);
    }

    [Fact]
    public void Should_add_or_replace_an_entry_in_a_copy()
    {
        var directory = AddressDirectory.Parse("ceo@contoso.com,CEO,VMNODE1\n", 8, out _);

        var changed = directory.With(new DirectoryEntry("CEO@contoso.com", "BOSS", "VMNODE2"));

        Assert.True(changed.TryFind("ceo@contoso.com", out var entry));
        Assert.Equal("BOSS", entry.UserId);
        Assert.True(directory.TryFind("ceo@contoso.com", out var old));
        Assert.Equal("CEO", old.UserId);
        Assert.Equal(1, changed.Count);
    }
}
