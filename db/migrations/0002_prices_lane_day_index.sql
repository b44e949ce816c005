-- Every /rates request reads one lane (orig_code, dest_code) over a range of days; the original schema
-- had no index, so each request scanned the whole prices table. INCLUDE (price) lets the per-day
-- COUNT/AVG be answered from the index alone.
CREATE INDEX IF NOT EXISTS prices_orig_code_dest_code_day_idx
    ON public.prices (orig_code, dest_code, day)
    INCLUDE (price);
