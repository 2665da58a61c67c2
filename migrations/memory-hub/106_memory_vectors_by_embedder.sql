-- At start the hub counts the current embedder's vectors, to choose between the exact scan and the
-- saved large-set index and to check that index is complete. Without an index that COUNT reads the
-- whole table, 1 KiB vectors included (0.85-2.5 s at a million memories); with this one, 37 ms.
-- Entries go to the end (seq grows), so the embedding loop pays little for it. Lookups by seq keep
-- using the primary key: the queries that read vectors by seq say NOT INDEXED, because SQLite would
-- otherwise pick this index for them too and read ~40 % slower.
CREATE INDEX idx_vectors_embedder ON memory_vectors(embedder, dims);
