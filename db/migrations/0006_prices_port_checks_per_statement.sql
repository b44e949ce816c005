-- Referential integrity of prices -> ports, checked once per statement instead of once per row.
--
-- The foreign keys prices_orig_code_fkey and prices_dest_code_fkey checked every inserted price with its own
-- index lookup into ports, twice per row: most of the cost of loading a batch. They are replaced by statement
-- triggers over transition tables that check the distinct codes a statement wrote, once, with the same
-- guarantee for every writer (the service, psql, COPY): a price naming a port that does not exist is refused,
-- and a port that prices use cannot be deleted, truncated or have its code changed. The errors are those of the
-- foreign keys (SQLSTATE 23503, the same constraint names and messages).
--
-- Concurrency, as PostgreSQL's own foreign key triggers do it: a writer of prices locks the ports it names
-- FOR KEY SHARE, so a concurrent delete of one of them waits for it to end and then finds its prices (the
-- check of ports runs with a snapshot taken after the wait, at READ COMMITTED); a writer of prices that meets a
-- port deleted by a transaction that committed meanwhile does not get the lock and is refused. The check of
-- ports needs to see prices committed after its transaction began, which a REPEATABLE READ or SERIALIZABLE
-- snapshot does not (the foreign keys use a special snapshot that triggers cannot), so deleting a port or
-- changing its code is refused at those isolation levels with a message saying so.

DO $$
DECLARE
    key record;
BEGIN
    FOR key IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'public.prices'::regclass AND contype = 'f' AND confrelid = 'public.ports'::regclass
    LOOP
        EXECUTE format('ALTER TABLE public.prices DROP CONSTRAINT %I', key.conname);
    END LOOP;
END
$$;

-- After INSERT or UPDATE of prices (also COPY): every port code the statement wrote must name a port.
CREATE OR REPLACE FUNCTION public.prices_check_ports() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- Lanes first: one hash aggregate over the written rows, far cheaper than unnesting every row's two codes.
    WITH lanes AS MATERIALIZED (
        SELECT orig_code, dest_code FROM new_rows GROUP BY orig_code, dest_code
    ), written AS MATERIALIZED (
        SELECT DISTINCT v.field, v.code
        FROM lanes l
        CROSS JOIN LATERAL (VALUES (1, l.orig_code), (2, l.dest_code)) AS v(field, code)
    ), locked AS MATERIALIZED (
        SELECT p.code
        FROM public.ports p
        WHERE p.code IN (SELECT code FROM written)
        FOR KEY SHARE OF p
    )
    SELECT w.field, w.code INTO missing
    FROM written w
    WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.code = w.code)
    ORDER BY w.field, w.code
    LIMIT 1;

    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "prices" violates foreign key constraint "%"',
                CASE missing.field WHEN 1 THEN 'prices_orig_code_fkey' ELSE 'prices_dest_code_fkey' END
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "ports".',
                      CASE missing.field WHEN 1 THEN 'orig_code' ELSE 'dest_code' END, missing.code),
                  SCHEMA = 'public',
                  TABLE = 'prices',
                  CONSTRAINT = CASE missing.field WHEN 1 THEN 'prices_orig_code_fkey' ELSE 'prices_dest_code_fkey' END;
    END IF;

    RETURN NULL;
END
$$;

-- After DELETE or UPDATE of ports, and before TRUNCATE: no price may keep naming a code that is gone.
CREATE OR REPLACE FUNCTION public.ports_check_prices() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    used record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF current_setting('transaction_isolation') <> 'read committed' OR EXISTS (SELECT 1 FROM public.prices) THEN
            RAISE EXCEPTION 'cannot truncate table "ports": prices refer to it'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Delete the prices first (TRUNCATE prices), at READ COMMITTED isolation.';
        END IF;

        RETURN NULL;
    END IF;

    WITH gone AS MATERIALIZED (
        SELECT DISTINCT o.code
        FROM old_rows o
        WHERE NOT EXISTS (SELECT 1 FROM public.ports p WHERE p.code = o.code)
    )
    SELECT g.code, f.field INTO used
    FROM gone g
    CROSS JOIN LATERAL (
        SELECT 1 AS field WHERE EXISTS (SELECT 1 FROM public.prices pr WHERE pr.orig_code = g.code)
        UNION ALL
        SELECT 2 WHERE EXISTS (SELECT 1 FROM public.prices pr WHERE pr.dest_code = g.code)
        UNION ALL
        -- A code that is gone, checked under a snapshot that may miss concurrent prices: refused below.
        SELECT 3 WHERE current_setting('transaction_isolation') <> 'read committed'
    ) AS f
    ORDER BY f.field, g.code
    LIMIT 1;

    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF used.field = 3 THEN
        RAISE EXCEPTION 'cannot % port "%" at % isolation: whether prices use it is checked at READ COMMITTED only',
                lower(TG_OP), used.code, upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Delete ports or change their codes in a READ COMMITTED transaction.';
    END IF;

    RAISE EXCEPTION 'update or delete on table "ports" violates foreign key constraint "%" on table "prices"',
            CASE used.field WHEN 1 THEN 'prices_orig_code_fkey' ELSE 'prices_dest_code_fkey' END
        USING ERRCODE = 'foreign_key_violation',
              DETAIL = format('Key (code)=(%s) is still referenced from table "prices".', used.code),
              SCHEMA = 'public',
              TABLE = 'prices',
              CONSTRAINT = CASE used.field WHEN 1 THEN 'prices_orig_code_fkey' ELSE 'prices_dest_code_fkey' END;
END
$$;

CREATE TRIGGER prices_check_ports_insert
    AFTER INSERT ON public.prices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_check_ports();

CREATE TRIGGER prices_check_ports_update
    AFTER UPDATE ON public.prices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_check_ports();

CREATE TRIGGER ports_check_prices_delete
    AFTER DELETE ON public.ports
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.ports_check_prices();

CREATE TRIGGER ports_check_prices_update
    AFTER UPDATE ON public.ports
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.ports_check_prices();

CREATE TRIGGER ports_check_prices_truncate
    BEFORE TRUNCATE ON public.ports
    FOR EACH STATEMENT EXECUTE FUNCTION public.ports_check_prices();
