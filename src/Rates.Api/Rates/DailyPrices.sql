-- GET /rates: one row per calendar day from date_from ($1) to date_to ($2), newest first, for the lane
-- orig_code ($3) -> dest_code ($4); days without prices come from the series with NULL count and average.
-- The average is PostgreSQL's numeric AVG, converted to double precision by the server (correctly rounded,
-- as the original's float conversion of the same numeric). The service embeds this file; ./build.sh
-- Benchmark runs the same text through pgbench.
SELECT days.day, lane.count, lane.average
FROM (
    SELECT $1 + offset_days AS day
    FROM generate_series(0, $2 - $1) AS offset_days
) AS days
LEFT JOIN (
    SELECT day, count(*) AS count, avg(price)::double precision AS average
    FROM public.prices
    WHERE orig_code = $3 AND dest_code = $4 AND day BETWEEN $1 AND $2
    GROUP BY day
) AS lane ON lane.day = days.day
ORDER BY days.day DESC
