-- The statement triggers of 0006 lock the ports a write of prices names FOR KEY SHARE, and PostgreSQL allows
-- that lock only to a role with UPDATE on ports. The service's role may read and insert, nothing more (0004),
-- so the checks run with the privileges of the functions' owner instead, as PostgreSQL's own foreign key checks
-- do, and with a fixed search_path so that no object of the caller's can stand in for the real tables.
ALTER FUNCTION public.prices_check_ports() SECURITY DEFINER SET search_path = pg_catalog, public;
ALTER FUNCTION public.ports_check_prices() SECURITY DEFINER SET search_path = pg_catalog, public;
