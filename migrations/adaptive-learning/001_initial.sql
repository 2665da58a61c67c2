-- AdaptiveLearningSuite durable state. Two legacy agents both used a table named
-- `training_cycles` with different schemas (learning_suite.md §2.3, §5.3, §11); they live on as
-- sto_training_cycles (SelfTrainingOrchestrator) and los_training_cycles (LearningOrchestrationService).

-- SelfTrainingOrchestrator: resource-budgeted cycles, optionally backed by a fine-tuning job.
CREATE TABLE sto_training_cycles (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  resources TEXT NOT NULL,
  start_time TEXT,
  end_time TEXT,
  progress REAL NOT NULL DEFAULT 0.0,
  error TEXT,
  job_id TEXT,
  seq INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX sto_cycles_status ON sto_training_cycles (status, priority DESC, seq);

CREATE TABLE sto_cycle_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cycle_id TEXT NOT NULL REFERENCES sto_training_cycles (id) ON DELETE CASCADE,
  metric_name TEXT NOT NULL,
  value REAL NOT NULL,
  timestamp TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX sto_cycle_metrics_cycle ON sto_cycle_metrics (cycle_id, id);

-- LocalFineTunerAgent jobs, now really executed by the scheduler.
-- status: pending | queued | running | succeeded | failed | cancelled | interrupted
CREATE TABLE tuning_jobs (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  artifacts TEXT NOT NULL DEFAULT '{}',
  start_time TEXT,
  end_time TEXT,
  error TEXT,
  priority INTEGER NOT NULL DEFAULT 1,
  queue_seq INTEGER,
  gpu TEXT,
  assigned_gpu TEXT,
  trainer TEXT,
  spec TEXT,
  out_dir TEXT,
  log_path TEXT,
  checkpoint_path TEXT,
  step INTEGER NOT NULL DEFAULT 0,
  total_steps INTEGER,
  loss REAL,
  tokens_per_second REAL,
  eta_seconds REAL,
  initial_loss REAL,
  final_loss REAL,
  pid INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  source TEXT,
  updated_at TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tuning_jobs_queue ON tuning_jobs (status, priority DESC, queue_seq);

CREATE TABLE tuning_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES tuning_jobs (id) ON DELETE CASCADE,
  metric_name TEXT NOT NULL,
  value REAL NOT NULL,
  step INTEGER NOT NULL,
  timestamp TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tuning_metrics_job ON tuning_metrics (job_id, id);

-- The legacy LFT table was called `artifacts`; renamed to say whose artifacts they are.
CREATE TABLE tuning_artifacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES tuning_jobs (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  path TEXT NOT NULL,
  metadata TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tuning_artifacts_job ON tuning_artifacts (job_id);

-- LearningOrchestrationService: one cycle per learning opportunity.
CREATE TABLE los_training_cycles (
  id TEXT PRIMARY KEY,
  model_name TEXT NOT NULL,
  learning_opportunities TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time TEXT,
  end_time TEXT,
  resource_allocation TEXT,
  hyperparameters TEXT,
  training_logs TEXT,
  job_id TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX los_cycles_start ON los_training_cycles (start_time DESC);
CREATE INDEX los_cycles_job ON los_training_cycles (job_id);

-- LearningOpportunityDetector. content_hash de-duplicates identical exchanges.
CREATE TABLE learning_opportunities (
  id TEXT PRIMARY KEY,
  source_agent TEXT NOT NULL,
  opportunity_type TEXT NOT NULL,
  priority_score REAL NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  interaction_data TEXT,
  detector_scores TEXT,
  content_hash TEXT UNIQUE
);
CREATE INDEX learning_opportunities_score ON learning_opportunities (status, priority_score DESC);

-- ActiveLearningMonitor: high-value samples waiting for (or carrying) a label.
CREATE TABLE active_learning_samples (
  id TEXT PRIMARY KEY,
  interaction TEXT NOT NULL,
  reason TEXT NOT NULL,
  file_path TEXT,
  label TEXT,
  status TEXT NOT NULL,
  job_id TEXT,
  content_hash TEXT UNIQUE,
  created_at TEXT NOT NULL
);
CREATE INDEX active_learning_samples_status ON active_learning_samples (status, created_at);

-- LearningAdjusterAgent (MainPC variant).
CREATE TABLE parameter_configs (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  min_value REAL NOT NULL,
  max_value REAL NOT NULL,
  current_value REAL NOT NULL,
  step_size REAL NOT NULL,
  description TEXT,
  metadata TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE parameter_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  parameter_name TEXT NOT NULL,
  value REAL NOT NULL,
  timestamp TEXT NOT NULL,
  performance_metric REAL,
  metadata TEXT
);

CREATE TABLE performance_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  metric_name TEXT NOT NULL,
  value REAL NOT NULL,
  timestamp TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  parameters TEXT,
  metadata TEXT
);
CREATE INDEX performance_metrics_name ON performance_metrics (metric_name, id DESC);

-- Closing the loop: how a finished adapter compared with its base model.
CREATE TABLE adapter_evaluations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  adapter_path TEXT NOT NULL,
  metric TEXT NOT NULL,
  before_value REAL,
  after_value REAL,
  improved INTEGER,
  registered INTEGER NOT NULL DEFAULT 0,
  decision TEXT NOT NULL,
  details TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX adapter_evaluations_job ON adapter_evaluations (job_id);
