-- Embeddings of conversation items (kind = 'interaction' | 'fact'), for the semantic half of search.
-- Rows are tagged with the embedder that made them; a different embedder re-embeds lazily.
CREATE TABLE conversation_vectors (
  kind     TEXT NOT NULL,
  item_id  TEXT NOT NULL,
  embedder TEXT NOT NULL,
  dims     INTEGER NOT NULL,
  vector   BLOB NOT NULL,
  PRIMARY KEY (kind, item_id)
);
