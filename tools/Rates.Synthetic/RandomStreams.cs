using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Bogus;

namespace Rates.Synthetic;

/// <summary>
/// Independent, reproducible random streams derived from one user-facing seed.
/// Each purpose gets its own Bogus <see cref="Randomizer"/> so that, for example, choosing which batch
/// items are invalid does not shift the values of the valid ones. The derivation uses SHA-256 rather
/// than <c>HashCode</c>/<c>string.GetHashCode</c>, which are randomised per process.
/// </summary>
internal static class RandomStreams
{
    public static Randomizer For(int seed, string purpose) => new(DeriveSeed(seed, purpose));

    public static int DeriveSeed(int seed, string purpose)
    {
        var input = Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seed}/{purpose}"));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadInt32LittleEndian(hash);
    }
}
