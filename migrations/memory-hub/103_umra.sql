-- UnifiedMemoryReasoningAgent state (legacy: three JSON files that were never loaded back).
CREATE TABLE umra_twins (
  user_id    TEXT PRIMARY KEY,
  twin_data  TEXT NOT NULL,
  updated_at REAL NOT NULL
);

CREATE TABLE umra_interactions (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id       TEXT NOT NULL,
  interaction_type TEXT NOT NULL,
  content          TEXT NOT NULL,
  metadata         TEXT,
  created_at       REAL NOT NULL
);
CREATE INDEX idx_umra_interactions_session ON umra_interactions(session_id, seq);

CREATE TABLE umra_summaries (
  session_id TEXT PRIMARY KEY,
  summary    TEXT NOT NULL,
  updated_at REAL NOT NULL
);

-- position keeps the first-insertion order that the legacy dict walk used.
CREATE TABLE umra_error_patterns (
  error_type       TEXT PRIMARY KEY,
  pattern          TEXT NOT NULL,
  solution         TEXT,
  last_seen        REAL NOT NULL,
  occurrence_count INTEGER NOT NULL DEFAULT 1,
  position         INTEGER NOT NULL
);

CREATE TABLE umra_error_history (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp  REAL NOT NULL,
  error_type TEXT NOT NULL,
  pattern    TEXT NOT NULL,
  solution   TEXT
);
