-- ModelEvaluationFramework tables (model_manager.md §5.1, PC2 additions §5.2).
-- Timestamps are ISO-8601 text, as the legacy agent stored them; context/comparison_data are JSON text.
CREATE TABLE performance_metrics (
  metric_id   TEXT PRIMARY KEY,
  agent_name  TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  value       REAL NOT NULL,
  timestamp   TEXT NOT NULL,
  context     TEXT
);
CREATE INDEX idx_metrics_agent ON performance_metrics (agent_name, metric_name, timestamp);
CREATE INDEX idx_metrics_timestamp ON performance_metrics (timestamp);

CREATE TABLE model_evaluation_scores (
  evaluation_id        TEXT PRIMARY KEY,
  model_name           TEXT NOT NULL,
  cycle_id             TEXT,
  trust_score          REAL NOT NULL CHECK (trust_score >= 0 AND trust_score <= 1),
  accuracy             REAL,
  f1_score             REAL,
  avg_latency_ms       REAL NOT NULL,
  evaluation_timestamp TEXT NOT NULL,
  comparison_data      TEXT
);
CREATE INDEX idx_evaluation_model ON model_evaluation_scores (model_name, evaluation_timestamp);

CREATE TABLE model_performance (
  model_id                TEXT PRIMARY KEY,
  total_interactions      INTEGER NOT NULL DEFAULT 0,
  successful_interactions INTEGER NOT NULL DEFAULT 0,
  avg_latency_ms          REAL NOT NULL DEFAULT 0.0,
  last_updated            TEXT
);
