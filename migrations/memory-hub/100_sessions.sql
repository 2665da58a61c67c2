-- Conversation sessions (SessionMemoryAgent, session.* API). SQLite is the truth; Redis db1 mirrors
-- active sessions with a TTL. Interactions belong to a session and go away with it.
CREATE TABLE sessions (
  session_id    TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  session_type  TEXT NOT NULL DEFAULT 'conversation',
  metadata      TEXT NOT NULL DEFAULT '{}',
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended', 'expired')),
  ttl_seconds   REAL NOT NULL,
  created_at    REAL NOT NULL,
  last_activity REAL NOT NULL,
  expires_at    REAL NOT NULL,
  ended_at      REAL,
  bridged_from  TEXT
);
CREATE INDEX idx_sessions_status_expiry ON sessions(status, expires_at);
CREATE INDEX idx_sessions_user_created ON sessions(user_id, created_at);

CREATE TABLE session_interactions (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  interaction_id TEXT NOT NULL UNIQUE,
  session_id     TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  role           TEXT NOT NULL,
  content        TEXT NOT NULL,
  metadata       TEXT NOT NULL DEFAULT '{}',
  tags           TEXT NOT NULL DEFAULT '[]',
  importance     REAL NOT NULL DEFAULT 0.5,
  access_count   INTEGER NOT NULL DEFAULT 0,
  last_accessed_at REAL NOT NULL,
  created_at     REAL NOT NULL
);
CREATE INDEX idx_session_interactions_session ON session_interactions(session_id, seq);
CREATE INDEX idx_session_interactions_created ON session_interactions(created_at);

CREATE VIRTUAL TABLE session_interactions_fts USING fts5(
  content, content='session_interactions', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER session_interactions_ai AFTER INSERT ON session_interactions BEGIN
  INSERT INTO session_interactions_fts(rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER session_interactions_ad AFTER DELETE ON session_interactions BEGIN
  INSERT INTO session_interactions_fts(session_interactions_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER session_interactions_au AFTER UPDATE OF content ON session_interactions BEGIN
  INSERT INTO session_interactions_fts(session_interactions_fts, rowid, content) VALUES ('delete', old.seq, old.content);
  INSERT INTO session_interactions_fts(rowid, content) VALUES (new.seq, new.content);
END;
