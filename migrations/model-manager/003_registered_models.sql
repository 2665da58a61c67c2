-- Models registered at run time through `models.register` (e.g. a LoRA adapter that
-- AdaptiveLearningSuite trained). The request is stored as given, so a registration that names a
-- base model follows changes to that base's configuration after a restart.
CREATE TABLE registered_models (
  model_id      TEXT PRIMARY KEY,
  base_model_id TEXT,             -- registry id the entry derives from, or NULL when `path` is set
  path          TEXT,             -- GGUF file of the base weights when no base_model_id is given
  lora_adapters TEXT NOT NULL,    -- JSON [{path, scale}] (absolute paths)
  options       TEXT NOT NULL,    -- JSON {context_size?, priority?, pinned?, display_name?}
  source        TEXT,             -- who registered it (free text, e.g. AdaptiveLearningSuite job id)
  created_at    TEXT NOT NULL,
  CHECK (base_model_id IS NOT NULL OR path IS NOT NULL)
);
