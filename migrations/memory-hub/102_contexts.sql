-- Context windows (ContextManager PC2 algorithm, context.* API). scope '' is the legacy single window;
-- any other scope is a session id. An item sits in the main window, its speaker's window, or both;
-- a row in neither is deleted.
CREATE TABLE contexts (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  scope       TEXT NOT NULL,
  text        TEXT NOT NULL,
  speaker     TEXT,
  importance  REAL NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  tokens      INTEGER NOT NULL,
  in_main     INTEGER NOT NULL DEFAULT 1,
  in_speaker  INTEGER NOT NULL DEFAULT 0,
  created_at  REAL NOT NULL
);
CREATE INDEX idx_contexts_scope_main ON contexts(scope, in_main, seq);
CREATE INDEX idx_contexts_scope_speaker ON contexts(scope, speaker, in_speaker, seq);

-- Adaptive window size per scope (min 5, max 20, start 10).
CREATE TABLE context_windows (
  scope       TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  updated_at  REAL NOT NULL
);

-- importance_scores of the legacy engine: keyed by text, outlives eviction, feeds the resize rule.
CREATE TABLE context_importance (
  scope       TEXT NOT NULL,
  text        TEXT NOT NULL,
  importance  REAL NOT NULL,
  PRIMARY KEY (scope, text)
);
