-- Committed price batches (PUT /batches/{id}). A row is written in the same transaction as the batch's
-- prices, so a batch id is here exactly when its prices are in public.prices. The content hash makes a
-- retry with the same id safe: the same content is answered as already committed, other content is refused.
CREATE TABLE IF NOT EXISTS public.batches (
    id text NOT NULL,
    content_sha256 text NOT NULL,
    item_count integer NOT NULL,
    received_at timestamp with time zone NOT NULL,
    committed_at timestamp with time zone NOT NULL,
    CONSTRAINT batches_pkey PRIMARY KEY (id),
    CONSTRAINT batches_id_format CHECK (id ~ '^[A-Za-z0-9._-]{1,100}$'),
    CONSTRAINT batches_content_sha256_format CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT batches_item_count_positive CHECK (item_count > 0)
);
