using System.Text;

namespace Rates.Api.Batches;

/// <summary>
/// Turns the UTF-8 bytes of a port code into a string, handing out the same string instance for the same
/// code. A batch repeats a few hundred codes tens of thousands of times, so after the first few items no
/// string is allocated for codes at all. Bounded, so a batch of distinct junk codes cannot grow it without end.
/// One per batch (not thread-safe).
/// </summary>
internal sealed class PortCodeCache
{
    private const int MaxEntries = 4096;

    private readonly Dictionary<string, string> _codes = new(AsciiComparer.Instance);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<byte>> _byUtf8;

    public PortCodeCache() => _byUtf8 = _codes.GetAlternateLookup<ReadOnlySpan<byte>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        // Only ASCII codes are cached: for them a byte and a char compare and hash alike.
        if (!Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        if (_byUtf8.TryGetValue(utf8, out var code))
        {
            return code;
        }

        code = Encoding.ASCII.GetString(utf8);
        if (_codes.Count < MaxEntries)
        {
            _codes[code] = code;
        }

        return code;
    }

    /// <summary>Ordinal comparison of ASCII strings with their UTF-8 bytes (FNV-1a hash over the characters).</summary>
    private sealed class AsciiComparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<byte>, string>
    {
        public static readonly AsciiComparer Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string obj)
        {
            var hash = 2166136261u;
            foreach (var c in obj)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)hash;
        }

        public bool Equals(ReadOnlySpan<byte> alternate, string other) => Ascii.Equals(alternate, other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = 2166136261u;
            foreach (var b in alternate)
            {
                hash = (hash ^ b) * 16777619u;
            }

            return (int)hash;
        }

        public string Create(ReadOnlySpan<byte> alternate) => Encoding.ASCII.GetString(alternate);
    }
}
