-- KnowledgeBase facts (legacy: orchestrator memories of type knowledge_fact, tier long, importance 0.8).
CREATE TABLE knowledge_base (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id        TEXT NOT NULL UNIQUE,
  topic            TEXT NOT NULL,
  content          TEXT NOT NULL,
  metadata         TEXT NOT NULL DEFAULT '{}',
  tags             TEXT NOT NULL DEFAULT '[]',
  importance       REAL NOT NULL DEFAULT 0.8,
  access_count     INTEGER NOT NULL DEFAULT 0,
  last_accessed_at REAL NOT NULL,
  created_at       REAL NOT NULL,
  updated_at       REAL NOT NULL
);
CREATE INDEX idx_knowledge_base_topic ON knowledge_base(topic COLLATE NOCASE, seq);

CREATE VIRTUAL TABLE knowledge_base_fts USING fts5(
  topic, content, content='knowledge_base', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER knowledge_base_ai AFTER INSERT ON knowledge_base BEGIN
  INSERT INTO knowledge_base_fts(rowid, topic, content) VALUES (new.seq, new.topic, new.content);
END;
CREATE TRIGGER knowledge_base_ad AFTER DELETE ON knowledge_base BEGIN
  INSERT INTO knowledge_base_fts(knowledge_base_fts, rowid, topic, content) VALUES ('delete', old.seq, old.topic, old.content);
END;
CREATE TRIGGER knowledge_base_au AFTER UPDATE OF topic, content ON knowledge_base BEGIN
  INSERT INTO knowledge_base_fts(knowledge_base_fts, rowid, topic, content) VALUES ('delete', old.seq, old.topic, old.content);
  INSERT INTO knowledge_base_fts(rowid, topic, content) VALUES (new.seq, new.topic, new.content);
END;
