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
            if (Check(source, cols[1], cols[2], maxLength) is { } problem)
            {
                found.Add(new DirectoryProblem(lineNumber, problem));
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

    /// <summary>
    /// The one rule for a directory row, for the file's lines and for entries an operator adds through the admin
    /// API: the source is an address, USERID and NODE are PROFS identifiers (<see cref="TargetIdentifier"/>, after
    /// upper-casing, as the file is read). Null when the row is valid, else why not.
    /// </summary>
    public static string? Check(string source, string userId, string node, int maxLength)
    {
        if (!source.Contains('@') || source.Length > 254 || source.StartsWith('#') || source.Any(c => c is ',' or '"' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"'{source}' is not an address (one address, at most 254 characters, without spaces, commas or quotes)";
        }
        if (!TargetIdentifier.IsValid(userId.ToUpperInvariant(), maxLength)) return $"USERID '{userId}' is not 1-{maxLength} characters of A-Z and 0-9";
        if (!TargetIdentifier.IsValid(node.ToUpperInvariant(), maxLength)) return $"NODE '{node}' is not 1-{maxLength} characters of A-Z and 0-9";
        return null;
    }

    /// <summary>This directory with <paramref name="entry"/> added, or replacing the entry for its source address.</summary>
    public AddressDirectory With(DirectoryEntry entry)
    {
        var entries = new Dictionary<string, DirectoryEntry>(_entries, StringComparer.OrdinalIgnoreCase) { [entry.SourceAddress] = entry };
        return new AddressDirectory(entries);
    }

    /// <summary>
    /// The directory file's text with <paramref name="entry"/> set: the first row for its source address is
    /// replaced (later duplicates are skipped by <see cref="Parse"/> anyway), or the row is appended. Comments,
    /// the header and every other row stay as they are.
    /// </summary>
    public static string Upsert(string csv, DirectoryEntry entry)
    {
        var row = $"{entry.SourceAddress},{entry.UserId},{entry.Node}";
        var lines = csv.Length == 0 ? new List<string>() : csv.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim().TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var first = line.Split(',')[0].Trim().Trim('"').Trim();
            if (string.Equals(first, entry.SourceAddress, StringComparison.OrdinalIgnoreCase))
            {
                lines[i] = row;
                return string.Join('\n', lines) + "\n";
            }
        }
        lines.Add(row);
        return string.Join('\n', lines) + "\n";
    }
}

/// <summary>PROFS/RSCS identifiers: 1–N characters of A–Z and 0–9.</summary>
public static class TargetIdentifier
{
    public static bool IsValid(string? value, int maxLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength && value.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9');
}
