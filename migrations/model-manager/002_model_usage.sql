-- PredictiveLoader usage history (model_manager.md §4.3); legacy kept it in memory only.
CREATE TABLE model_usage (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  used_at  REAL NOT NULL,          -- epoch seconds
  source   TEXT
);
CREATE INDEX idx_model_usage_model ON model_usage (model_id, used_at);
CREATE INDEX idx_model_usage_time ON model_usage (used_at);
