namespace Rates.Testing;

/// <summary>
/// A full pg_dump plain SQL file in the original dump's layout (tables, COPY data, then keys), with invented codes:
/// what the seed and schema tests load where they need *a* dump, so they never depend on the original one.
/// </summary>
public static class SmallDump
{
    public const int Prices = 4;

    private const string Tables = """
        --
        -- PostgreSQL database dump
        --

        SET statement_timeout = 0;
        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);

        CREATE TABLE public.ports (
            code text NOT NULL,
            name text NOT NULL,
            parent_slug text NOT NULL
        );

        CREATE TABLE public.prices (
            orig_code text NOT NULL,
            dest_code text NOT NULL,
            day date NOT NULL,
            price integer NOT NULL
        );

        CREATE TABLE public.regions (
            slug text NOT NULL,
            name text NOT NULL,
            parent_slug text
        );

        COPY public.ports (code, name, parent_slug) FROM stdin;
        DMPAA<TAB>Dump Alpha<TAB>dump_sea
        DMPBB<TAB>Dump Beta<TAB>dump_sea
        \.

        COPY public.prices (orig_code, dest_code, day, price) FROM stdin;
        DMPAA<TAB>DMPBB<TAB>2032-07-01<TAB>100
        DMPAA<TAB>DMPBB<TAB>2032-07-01<TAB>200
        DMPAA<TAB>DMPBB<TAB>2032-07-01<TAB>301
        DMPBB<TAB>DMPAA<TAB>2032-07-02<TAB>50
        \.

        COPY public.regions (slug, name, parent_slug) FROM stdin;
        dump_world<TAB>Dump World<TAB>\N
        dump_sea<TAB>Dump Sea<TAB>dump_world
        \.

        """;

    private const string Keys = """
        ALTER TABLE ONLY public.ports
            ADD CONSTRAINT ports_pkey PRIMARY KEY (code);

        ALTER TABLE ONLY public.regions
            ADD CONSTRAINT regions_pkey PRIMARY KEY (slug);

        ALTER TABLE ONLY public.ports
            ADD CONSTRAINT ports_parent_slug_fkey FOREIGN KEY (parent_slug) REFERENCES public.regions(slug);

        ALTER TABLE ONLY public.prices
            ADD CONSTRAINT prices_dest_code_fkey FOREIGN KEY (dest_code) REFERENCES public.ports(code);

        ALTER TABLE ONLY public.prices
            ADD CONSTRAINT prices_orig_code_fkey FOREIGN KEY (orig_code) REFERENCES public.ports(code);

        ALTER TABLE ONLY public.regions
            ADD CONSTRAINT regions_parent_slug_fkey FOREIGN KEY (parent_slug) REFERENCES public.regions(slug);

        """;

    /// <summary>Writes the dump into <paramref name="folder"/> and returns its path; without keys when asked.</summary>
    public static string Write(string folder, bool withKeys = true)
    {
        var path = Path.Combine(folder, withKeys ? "small-dump.sql" : "small-dump-without-keys.sql");
        File.WriteAllText(path, (withKeys ? Tables + Keys : Tables).Replace("<TAB>", "\t", StringComparison.Ordinal));
        return path;
    }
}
