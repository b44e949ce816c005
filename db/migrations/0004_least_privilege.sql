-- Least privilege. The role that runs these migrations owns the tables; the service connects as a login
-- role that is a member of rates_service, which may only read ports, regions, prices and batches (and the
-- migration journal, for readiness) and insert into prices and batches: no UPDATE, DELETE, TRUNCATE or DDL.
-- Roles belong to the whole server, so rates_service is created once and shared by every Rates database on
-- it; the grants are per database. A table added later needs its own GRANT in its migration.
-- Rates.Migrator creates or updates the service's login role (ServiceRole__Username/__Password).

-- The key that signed a batch (Auth:ApiKeys:<id>); null for batches from before keys, or anonymous writes.
ALTER TABLE public.batches ADD COLUMN IF NOT EXISTS key_id text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rates_service') THEN
        BEGIN
            CREATE ROLE rates_service NOLOGIN;
        EXCEPTION
            -- Created meanwhile by the migration of another database on the same server.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'Role rates_service does not exist, and % may not create roles. Have an administrator run once: CREATE ROLE rates_service NOLOGIN;', current_user;
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO rates_service;
GRANT SELECT ON public.regions, public.ports, public.prices, public.batches, public.schemaversions TO rates_service;
GRANT INSERT ON public.prices, public.batches TO rates_service;

-- PostgreSQL 13 lets every role create tables in schema public; the service's role must not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

DO $$
BEGIN
    IF has_schema_privilege('rates_service', 'public', 'CREATE') THEN
        RAISE EXCEPTION 'rates_service may still create objects in schema public, and % cannot revoke that (it does not own the schema). Have an administrator run: REVOKE CREATE ON SCHEMA public FROM PUBLIC; then migrate again.', current_user;
    END IF;
END
$$;
