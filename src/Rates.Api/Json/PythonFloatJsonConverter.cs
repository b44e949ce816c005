using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rates.Api;

/// <summary>
/// Writes a price the way the original service's Python json module wrote a float: the shortest round-trip
/// digits, and a whole number with ".0" (5000.0, not 5000), so byte-comparing clients see no difference.
/// </summary>
public sealed class PythonFloatJsonConverter : JsonConverter<double?>
{
    public override bool HandleNull => true;

    public override double? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double? value, JsonSerializerOptions options)
    {
        if (value is not { } number)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteRawValue(Format(number), skipInputValidation: true);
    }

    /// <summary>Python's float repr for the finite values an average of integer prices can take.</summary>
    internal static string Format(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "JSON has no representation for this number.");
        }

        // Python writes exponent notation from 1e16 up; .NET's round-trip format only does so from 1e21.
        var text = Math.Abs(value) >= 1e16
            ? value.ToString("0.################E+00", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        // Python writes "1e+16" / "1e-05" where .NET writes "1E+16" / "1E-05".
        if (text.Contains('E', StringComparison.Ordinal))
        {
            var mantissaAndExponent = text.Split('E');
            var exponent = int.Parse(mantissaAndExponent[1], CultureInfo.InvariantCulture);
            return $"{mantissaAndExponent[0]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }

        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }
}
