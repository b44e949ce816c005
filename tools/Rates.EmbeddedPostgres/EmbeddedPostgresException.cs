namespace Rates.EmbeddedPostgres;

/// <summary>
/// Raised for every failure of the embedded PostgreSQL tooling (download, integrity, extraction, initdb, pg_ctl).
/// The message is meant to be shown to a developer as is: it says what failed, why, and what to do.
/// </summary>
public sealed class EmbeddedPostgresException : Exception
{
    public EmbeddedPostgresException(string message) : base(message)
    {
    }

    public EmbeddedPostgresException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
