using System.Globalization;

namespace Rates.Build.Framework;

/// <summary>Turns raw text into a typed value; a <see cref="FormatException"/> message says what is accepted.</summary>
internal static class ParameterValueParser
{
    private static readonly string[] s_true = ["true", "yes", "on", "1"];
    private static readonly string[] s_false = ["false", "no", "off", "0"];

    public static object? Parse(ParameterDescriptor parameter, IReadOnlyList<string> raw, string baseDirectory)
    {
        var type = parameter.ValueType;
        if (type == typeof(string[]))
            return raw.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (raw.Count != 1)
            throw new FormatException("expected a single value, not a list");

        var text = raw[0].Trim();
        if (type == typeof(string))
            return raw[0];
        if (type == typeof(AbsolutePath))
            return text.Length == 0 ? throw new FormatException("expected a path") : AbsolutePath.Create(text, baseDirectory);
        if (type == typeof(bool))
        {
            if (s_true.Contains(text, StringComparer.OrdinalIgnoreCase))
                return true;
            return s_false.Contains(text, StringComparer.OrdinalIgnoreCase)
                ? false
                : throw new FormatException("accepted values are true, false");
        }

        if (type.IsEnum)
        {
            // Enum.TryParse would also accept numbers and undefined values; only the declared names are meaningful.
            var name = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            return name is not null
                ? Enum.Parse(type, name)
                : throw new FormatException($"accepted values are {string.Join(", ", Enum.GetNames(type))}");
        }

        var accepted = $"accepted values are {parameter.AcceptedNumbers}";
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || number < parameter.Minimum || number > parameter.Maximum)
            throw new FormatException(accepted);
        if (type == typeof(double))
            return number;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
            throw new FormatException(accepted);
        return type == typeof(int) ? (object)(int)whole : whole;
    }
}
