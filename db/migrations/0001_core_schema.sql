-- Core schema of the original Rates service: regions (a hierarchy), ports and daily prices per lane.
-- The tables and key names are those of the original pg_dump, so this script applies both to an empty
-- database and on top of that dump (tables already there, keys there or not): every object is created
-- only when it is missing.

CREATE TABLE IF NOT EXISTS public.regions (
    slug text NOT NULL,
    name text NOT NULL,
    parent_slug text
);

CREATE TABLE IF NOT EXISTS public.ports (
    code text NOT NULL,
    name text NOT NULL,
    parent_slug text NOT NULL
);

CREATE TABLE IF NOT EXISTS public.prices (
    orig_code text NOT NULL,
    dest_code text NOT NULL,
    day date NOT NULL,
    price integer NOT NULL
);

-- PostgreSQL has no ADD CONSTRAINT IF NOT EXISTS. A key counts as present when the table has a constraint
-- of that kind on the same column(s), whatever its name, so a dump with differently named keys is not
-- given a second copy of each.
DO $$
DECLARE
    wanted record;
BEGIN
    FOR wanted IN
        SELECT *
        FROM (VALUES
            ('public.regions'::regclass, 'p', ARRAY['slug'],        NULL::regclass,     'ALTER TABLE public.regions ADD CONSTRAINT regions_pkey PRIMARY KEY (slug)'),
            ('public.ports'::regclass,   'p', ARRAY['code'],        NULL::regclass,     'ALTER TABLE public.ports ADD CONSTRAINT ports_pkey PRIMARY KEY (code)'),
            ('public.regions'::regclass, 'f', ARRAY['parent_slug'], 'public.regions'::regclass, 'ALTER TABLE public.regions ADD CONSTRAINT regions_parent_slug_fkey FOREIGN KEY (parent_slug) REFERENCES public.regions(slug)'),
            ('public.ports'::regclass,   'f', ARRAY['parent_slug'], 'public.regions'::regclass, 'ALTER TABLE public.ports ADD CONSTRAINT ports_parent_slug_fkey FOREIGN KEY (parent_slug) REFERENCES public.regions(slug)'),
            ('public.prices'::regclass,  'f', ARRAY['orig_code'],   'public.ports'::regclass,   'ALTER TABLE public.prices ADD CONSTRAINT prices_orig_code_fkey FOREIGN KEY (orig_code) REFERENCES public.ports(code)'),
            ('public.prices'::regclass,  'f', ARRAY['dest_code'],   'public.ports'::regclass,   'ALTER TABLE public.prices ADD CONSTRAINT prices_dest_code_fkey FOREIGN KEY (dest_code) REFERENCES public.ports(code)')
        ) AS t(table_oid, kind, columns, referenced_oid, ddl)
    LOOP
        IF NOT EXISTS (
            SELECT 1
            FROM pg_constraint c
            WHERE c.conrelid = wanted.table_oid
              AND c.contype = wanted.kind::"char"
              AND (wanted.referenced_oid IS NULL OR c.confrelid = wanted.referenced_oid)
              AND c.conkey = ARRAY(
                    SELECT a.attnum
                    FROM unnest(wanted.columns) WITH ORDINALITY AS col(name, position)
                    JOIN pg_attribute a ON a.attrelid = wanted.table_oid AND a.attname = col.name
                    ORDER BY col.position)::smallint[]
        ) THEN
            EXECUTE wanted.ddl;
        END IF;
    END LOOP;
END
$$;
