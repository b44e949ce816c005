-- Batch lineage: every price inserted by PUT /batches/{id} records that id, so the rows of one batch can be
-- found and counted (the fault run checks that every acknowledged batch holds exactly its item count of
-- rows, and that unacknowledged ones hold none). Rows loaded from a dump or the seed belong to no batch and
-- keep NULL, so the original dump still loads unchanged.
-- A nullable column without a default changes only the catalog: no rewrite of prices, however large.
-- No foreign key (the price rows are inserted before the batch row of the same transaction, and a per-row
-- check would slow every batch) and no index (lineage is read by audits, not by requests).
ALTER TABLE public.prices ADD COLUMN IF NOT EXISTS batch_id text;
