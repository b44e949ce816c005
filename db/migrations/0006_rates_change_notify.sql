-- Every committed change of prices or ports is announced on the channel rates_changed, so each service
-- instance can drop the /rates answers it cached for what changed (whoever wrote: the service, psql, another
-- replica). NOTIFY is transactional: listeners hear of a change when, and only if, its transaction commits.
--
-- Payload: one line per lane a statement changed, "orig_code<TAB>dest_code<TAB>first_day<TAB>last_day", or
-- "*" (forget everything) when the lines would not fit into a notification (8000 bytes), for TRUNCATE, and
-- for any change of ports (rare, and a port's code is part of every answer's key).

CREATE OR REPLACE FUNCTION public.prices_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payload text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT string_agg(concat_ws(E'\t', orig_code, dest_code, first_day, last_day), E'\n') INTO payload
        FROM (SELECT orig_code, dest_code, min(day) AS first_day, max(day) AS last_day FROM new_rows GROUP BY orig_code, dest_code) AS lanes;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT string_agg(concat_ws(E'\t', orig_code, dest_code, first_day, last_day), E'\n') INTO payload
        FROM (SELECT orig_code, dest_code, min(day) AS first_day, max(day) AS last_day FROM old_rows GROUP BY orig_code, dest_code) AS lanes;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT string_agg(concat_ws(E'\t', orig_code, dest_code, first_day, last_day), E'\n') INTO payload
        FROM (
            SELECT orig_code, dest_code, min(day) AS first_day, max(day) AS last_day
            FROM (SELECT orig_code, dest_code, day FROM new_rows UNION ALL SELECT orig_code, dest_code, day FROM old_rows) AS changed
            GROUP BY orig_code, dest_code
        ) AS lanes;
    ELSE
        payload := '*';
    END IF;

    IF payload IS NULL THEN
        RETURN NULL; -- the statement changed no row
    END IF;

    IF octet_length(payload) > 7900 THEN
        payload := '*';
    END IF;

    PERFORM pg_notify('rates_changed', payload);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public.ports_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rates_changed', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER prices_notify_insert
    AFTER INSERT ON public.prices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_notify_change();

CREATE TRIGGER prices_notify_update
    AFTER UPDATE ON public.prices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_notify_change();

CREATE TRIGGER prices_notify_delete
    AFTER DELETE ON public.prices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_notify_change();

CREATE TRIGGER prices_notify_truncate
    AFTER TRUNCATE ON public.prices
    FOR EACH STATEMENT EXECUTE FUNCTION public.prices_notify_change();

CREATE TRIGGER ports_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.ports
    FOR EACH STATEMENT EXECUTE FUNCTION public.ports_notify_change();
