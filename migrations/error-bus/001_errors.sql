-- Errors collected by the one-machine error bus (agent-suites errorbus).
CREATE TABLE errors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  agent TEXT NOT NULL,
  error_type TEXT NOT NULL,
  message TEXT NOT NULL,
  severity TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX errors_agent ON errors (agent, id);
