using System.Text;
using System.Text.RegularExpressions;

namespace Rates.Database;

/// <summary>One SQL statement of a script, without its comments, and the line it starts on.</summary>
/// <param name="EndLine">The line of its terminating semicolon; COPY data starts on the next one.</param>
internal sealed record SqlStatement(string Sql, int Line, int EndLine, bool IsCopyFromStdin);

/// <summary>A script cannot be executed without psql, or is malformed.</summary>
public sealed class SqlScriptException(string message, string path, int line, Exception? inner = null)
    : Exception($"{path}, line {line}: {message}", inner)
{
    public string Path { get; } = path;
    public int Line { get; } = line;
}

/// <summary>
/// Splits a pg_dump plain-format script into statements the way psql does: a statement ends at a semicolon
/// outside quotes, dollar quotes and comments; <c>COPY ... FROM stdin</c> is followed by data lines up to
/// <c>\.</c>, which the caller reads with <see cref="ReadCopyLine"/>. The file is read line by line, so a large
/// dump is never held in memory. psql meta-commands (<c>\connect</c>, <c>\set</c>, ...) cannot be executed
/// without psql and are rejected with their line.
/// </summary>
internal sealed partial class SqlScriptReader(TextReader reader, string path)
{
    private readonly StringBuilder _statement = new();
    private readonly Queue<SqlStatement> _ready = new();
    private LexState _state = LexState.Code;
    private int _commentDepth;
    private string? _dollarTag;
    private bool _hasCode;
    private int _statementLine;
    private bool _inCopyData;

    private enum LexState
    {
        Code,
        SingleQuoted,
        EscapeString,
        DoubleQuoted,
        DollarQuoted,
        BlockComment,
    }

    public string Path { get; } = path;

    /// <summary>The number of the last line read.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The next statement, or null at the end of the script.</summary>
    public SqlStatement? ReadStatement()
    {
        if (_inCopyData)
        {
            throw new InvalidOperationException("Read the COPY data (ReadCopyLine until null) before the next statement.");
        }

        while (_ready.Count == 0)
        {
            var line = reader.ReadLine();
            if (line is null)
            {
                if (_state != LexState.Code)
                {
                    throw Error(_hasCode ? _statementLine : LineNumber, $"the file ends inside {Describe(_state)}" + (_hasCode ? " in the statement starting here." : "."));
                }

                if (_hasCode)
                {
                    throw Error(_statementLine, "the statement starting here has no terminating semicolon before the end of the file.");
                }

                return null;
            }

            LineNumber++;
            Lex(line);
        }

        var statement = _ready.Dequeue();
        if (statement.IsCopyFromStdin)
        {
            _inCopyData = true;
        }

        return statement;
    }

    /// <summary>
    /// The next data line of the COPY statement just returned, without its line break; null after the
    /// terminating <c>\.</c> line.
    /// </summary>
    public string? ReadCopyLine(SqlStatement copy)
    {
        if (!_inCopyData)
        {
            return null;
        }

        var line = reader.ReadLine();
        if (line is null)
        {
            throw Error(copy.Line, "the COPY data starting after this line has no terminating \\. line.");
        }

        LineNumber++;
        if (line == "\\.")
        {
            _inCopyData = false;
            return null;
        }

        return line;
    }

    public SqlScriptException Error(int line, string message, Exception? inner = null) => new(message, Path, line, inner);

    private void Lex(string line)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            switch (_state)
            {
                case LexState.Code:
                    i = LexCode(line, i);
                    continue;

                case LexState.EscapeString when c == '\\' && i + 1 < line.Length:
                    // E'...' strings: a backslash escapes the next character, a quote included.
                    _statement.Append(c).Append(line[i + 1]);
                    i += 2;
                    continue;

                case LexState.SingleQuoted or LexState.EscapeString:
                    _statement.Append(c);
                    if (c == '\'')
                    {
                        // '' inside a literal is an escaped quote, not its end.
                        if (i + 1 < line.Length && line[i + 1] == '\'')
                        {
                            _statement.Append('\'');
                            i += 2;
                            continue;
                        }

                        _state = LexState.Code;
                    }

                    break;

                case LexState.DoubleQuoted:
                    _statement.Append(c);
                    if (c == '"')
                    {
                        _state = LexState.Code;
                    }

                    break;

                case LexState.DollarQuoted:
                    if (c == '$' && string.CompareOrdinal(line, i, _dollarTag, 0, _dollarTag!.Length) == 0)
                    {
                        _statement.Append(_dollarTag);
                        i += _dollarTag.Length;
                        _dollarTag = null;
                        _state = LexState.Code;
                        continue;
                    }

                    _statement.Append(c);
                    break;

                case LexState.BlockComment:
                    if (c == '*' && i + 1 < line.Length && line[i + 1] == '/')
                    {
                        i += 2;
                        if (--_commentDepth == 0)
                        {
                            _state = LexState.Code;
                            _statement.Append(' ');
                        }

                        continue;
                    }

                    if (c == '/' && i + 1 < line.Length && line[i + 1] == '*')
                    {
                        // PostgreSQL block comments nest.
                        _commentDepth++;
                        i += 2;
                        continue;
                    }

                    break;
            }

            i++;
        }

        if (_hasCode || _state != LexState.Code)
        {
            _statement.Append('\n');
        }
    }

    /// <summary>Lexes from <paramref name="i"/> in plain code; returns the next position.</summary>
    private int LexCode(string line, int i)
    {
        var c = line[i];
        if (char.IsWhiteSpace(c))
        {
            if (_hasCode)
            {
                _statement.Append(c);
            }

            return i + 1;
        }

        if (c == '-' && i + 1 < line.Length && line[i + 1] == '-')
        {
            // A line comment runs to the end of the line.
            return line.Length;
        }

        if (c == '/' && i + 1 < line.Length && line[i + 1] == '*')
        {
            _state = LexState.BlockComment;
            _commentDepth = 1;
            return i + 2;
        }

        if (c == '\\')
        {
            return MetaCommand(line, i);
        }

        if (c == ';' && !_hasCode)
        {
            // An empty statement (a stray semicolon) does nothing in psql either.
            return i + 1;
        }

        if (c == ';')
        {
            _statement.Append(';');
            var sql = _statement.ToString().Trim();
            var isCopy = CopyFromStdin().IsMatch(sql);
            _ready.Enqueue(new SqlStatement(sql, _statementLine, LineNumber, isCopy));
            _statement.Clear();
            _hasCode = false;
            if (isCopy)
            {
                // psql reads the data from the very next line; anything after the semicolon would be lost.
                var rest = line[(i + 1)..];
                if (!string.IsNullOrWhiteSpace(rest))
                {
                    throw Error(LineNumber, "COPY ... FROM stdin must end its line; its data starts on the next line.");
                }

                return line.Length;
            }

            return i + 1;
        }

        if (!_hasCode)
        {
            _hasCode = true;
            _statementLine = LineNumber;
        }

        switch (c)
        {
            case '\'':
                var escape = i > 0 && (line[i - 1] == 'E' || line[i - 1] == 'e') && (i == 1 || !IsIdentifierChar(line[i - 2]));
                _state = escape ? LexState.EscapeString : LexState.SingleQuoted;
                break;
            case '"':
                _state = LexState.DoubleQuoted;
                break;
            case '$' when i == 0 || !IsIdentifierChar(line[i - 1]):
                var tag = DollarTag().Match(line, i);
                if (tag.Success)
                {
                    _dollarTag = tag.Value;
                    _state = LexState.DollarQuoted;
                    _statement.Append(tag.Value);
                    return i + tag.Length;
                }

                break;
        }

        _statement.Append(c);
        return i + 1;
    }

    private int MetaCommand(string line, int i)
    {
        var command = line[i..].Trim();
        var name = command.Split(' ', 2)[0];
        // pg_dump 17.6/16.10/15.14/14.19/13.22 and later wrap scripts in \restrict KEY ... \unrestrict KEY. Those only
        // stop psql from running meta-commands smuggled into the data; this loader runs no meta-commands at all,
        // so they are skipped rather than rejected.
        if (!_hasCode && (name == "\\restrict" || name == "\\unrestrict"))
        {
            return line.Length;
        }

        var shown = command.Length > 60 ? command[..60] + "..." : command;
        throw Error(LineNumber, $"psql meta-command '{shown}' is not supported: only SQL statements and COPY ... FROM stdin data can be loaded without psql.");
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$';

    private static string Describe(LexState state) => state switch
    {
        LexState.SingleQuoted or LexState.EscapeString => "a quoted string",
        LexState.DoubleQuoted => "a quoted identifier",
        LexState.DollarQuoted => "a dollar-quoted string",
        LexState.BlockComment => "a /* comment */",
        _ => "a statement",
    };

    [GeneratedRegex(@"\G\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")]
    private static partial Regex DollarTag();

    [GeneratedRegex(@"\ACOPY\s.*\sFROM\s+stdin\b", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CopyFromStdin();
}
