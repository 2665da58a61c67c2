-- MemoryHub memory store: the orchestrator's four tables (memory_hub.md §2.4.3) plus search support.
-- Differences from legacy: `seq` is a stable integer key (FTS5 external content and the vector
-- index need one that VACUUM never renumbers); writes are UPSERTs, not INSERT OR REPLACE;
-- relationship and group rows cascade with their memories (foreign keys are enforced here).
CREATE TABLE memories (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  memory_type TEXT NOT NULL DEFAULT 'general',
  memory_tier TEXT NOT NULL DEFAULT 'short',
  importance REAL NOT NULL DEFAULT 0.5,
  access_count INTEGER NOT NULL DEFAULT 0,
  last_accessed_at REAL NOT NULL,
  created_at REAL NOT NULL,
  expires_at REAL,
  metadata TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  relationships TEXT NOT NULL DEFAULT '{}',
  parent_id TEXT,
  updated_at REAL NOT NULL,
  -- when the lifecycle loop last applied decay to this row (decay is over elapsed time since then)
  decayed_at REAL NOT NULL
);
CREATE INDEX idx_mem_type ON memories(memory_type);
CREATE INDEX idx_mem_tier ON memories(memory_tier);
CREATE INDEX idx_last_accessed ON memories(last_accessed_at);
CREATE INDEX idx_parent_id ON memories(parent_id);
CREATE INDEX idx_mem_expires ON memories(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX idx_mem_importance ON memories(importance DESC, last_accessed_at DESC);

CREATE TABLE memory_relationships (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_memory_id TEXT NOT NULL REFERENCES memories(memory_id) ON DELETE CASCADE ON UPDATE CASCADE,
  target_memory_id TEXT NOT NULL REFERENCES memories(memory_id) ON DELETE CASCADE ON UPDATE CASCADE,
  relationship_type TEXT NOT NULL,
  strength REAL DEFAULT 1.0,
  created_at REAL,
  updated_at REAL
);
CREATE INDEX idx_source_memory ON memory_relationships(source_memory_id);
CREATE INDEX idx_target_memory ON memory_relationships(target_memory_id);

CREATE TABLE context_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT,
  created_at REAL,
  updated_at REAL
);

CREATE TABLE memory_group_mappings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id TEXT NOT NULL REFERENCES memories(memory_id) ON DELETE CASCADE ON UPDATE CASCADE,
  group_id INTEGER NOT NULL REFERENCES context_groups(id) ON DELETE CASCADE,
  created_at REAL
);
CREATE INDEX idx_memory_group ON memory_group_mappings(memory_id);
CREATE INDEX idx_group_memory ON memory_group_mappings(group_id);

-- Lexical search: FTS5 over content and tags, kept in sync by triggers so that every writer
-- (this store, the conversation half, importers) is indexed the same way.
CREATE VIRTUAL TABLE memories_fts USING fts5(
  content, tags, content='memories', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2'
);

-- Semantic search: one vector per memory, written by the embedding sync; rows to (re)embed are
-- queued by triggers, deletions leave a tombstone for the in-memory index. (Triggers use NOT EXISTS
-- rather than INSERT OR IGNORE: an outer UPSERT's conflict clause would override the trigger's.)
CREATE TABLE memory_vectors (
  seq INTEGER PRIMARY KEY,
  embedder TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vector BLOB NOT NULL
);
CREATE TABLE vector_queue (seq INTEGER PRIMARY KEY);
CREATE TABLE vector_tombstones (seq INTEGER PRIMARY KEY);

CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
  INSERT INTO vector_queue(seq) SELECT new.seq WHERE NOT EXISTS (SELECT 1 FROM vector_queue WHERE seq = new.seq);
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
  DELETE FROM vector_queue WHERE seq = old.seq;
  DELETE FROM memory_vectors WHERE seq = old.seq;
  INSERT INTO vector_tombstones(seq) SELECT old.seq WHERE NOT EXISTS (SELECT 1 FROM vector_tombstones WHERE seq = old.seq);
END;
CREATE TRIGGER memories_au AFTER UPDATE OF content, tags ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
  INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
  INSERT INTO vector_queue(seq) SELECT new.seq
    WHERE new.content IS NOT old.content AND NOT EXISTS (SELECT 1 FROM vector_queue WHERE seq = new.seq);
END;

-- Namespaced key/value store of the new API (kv.*), durable here, cached in Redis db0.
CREATE TABLE kv_entries (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at REAL,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (namespace, key)
);
CREATE INDEX idx_kv_expires ON kv_entries(expires_at) WHERE expires_at IS NOT NULL;
