namespace ActorGateway.Domain.Mapping;

/// <summary>One directory row: a source address and the target mailbox it is known as.</summary>
public sealed record DirectoryEntry(string SourceAddress, string UserId, string Node);

/// <summary>A line of a directory file that was skipped, and why.</summary>
public sealed record DirectoryProblem(int LineNumber, string Reason);

/// <summary>
/// The address directory: explicit source-address → USERID/NODE assignments that win over
/// any template. Parsed from CSV text (<c>source-address,USERID,NODE</c>; <c>#</c> starts a
/// comment; an optional header row is recognised by its first column not holding an '@').
/// </summary>
public sealed class AddressDirectory
{
    public static readonly AddressDirectory Empty = new(new Dictionary<string, DirectoryEntry>(StringComparer.OrdinalIgnoreCase));

    private readonly IReadOnlyDictionary<string, DirectoryEntry> _entries;

    private AddressDirectory(IReadOnlyDictionary<string, DirectoryEntry> entries) => _entries = entries;

    public int Count => _entries.Count;

    public bool TryFind(string sourceAddress, out DirectoryEntry entry) =>
        _entries.TryGetValue(sourceAddress.Trim(), out entry!);

    public static AddressDirectory Parse(string csv, int maxLength, out IReadOnlyList<DirectoryProblem> problems)
    {
        var entries = new Dictionary<string, DirectoryEntry>(StringComparer.OrdinalIgnoreCase);
        var found = new List<DirectoryProblem>();
        var lineNumber = 0;
        var firstRow = true;
        foreach (var rawLine in csv.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim().TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cols = line.Split(',').Select(c => c.Trim().Trim('"').Trim()).ToArray();
            // The header row is the first row that is not blank or a comment (a file may open with comments).
            var isHeader = firstRow && !cols[0].Contains('@');
            firstRow = false;
            if (isHeader) continue;
            if (cols.Length != 3)
            {
                found.Add(new DirectoryProblem(lineNumber, $"expected 3 columns (source-address,USERID,NODE), found {cols.Length}"));
                continue;
            }
            var (source, userId, node) = (cols[0], cols[1].ToUpperInvariant(), cols[2].ToUpperInvariant());
            if (!source.Contains('@'))
            {
                found.Add(new DirectoryProblem(lineNumber, $"'{source}' is not an address"));
                continue;
            }
            if (!TargetIdentifier.IsValid(userId, maxLength))
            {
                found.Add(new DirectoryProblem(lineNumber, $"USERID '{cols[1]}' is not 1-{maxLength} characters of A-Z and 0-9"));
                continue;
            }
            if (!TargetIdentifier.IsValid(node, maxLength))
            {
                found.Add(new DirectoryProblem(lineNumber, $"NODE '{cols[2]}' is not 1-{maxLength} characters of A-Z and 0-9"));
                continue;
            }
            if (!entries.TryAdd(source, new DirectoryEntry(source, userId, node)))
            {
                found.Add(new DirectoryProblem(lineNumber, $"'{source}' is listed twice; the first entry wins"));
            }
        }
        problems = found;
        return new AddressDirectory(entries);
    }
}

/// <summary>PROFS/RSCS identifiers: 1–N characters of A–Z and 0–9.</summary>
public static class TargetIdentifier
{
    public static bool IsValid(string? value, int maxLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength && value.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9');
}
