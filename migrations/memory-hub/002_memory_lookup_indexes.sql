-- Lookups by JSON metadata that searches and the lifecycle loop make on every call:
-- documents by namespace (doc.*, embedding.search namespace filter) and the consolidated memory
-- of a parent (consolidation).
CREATE INDEX idx_mem_namespace ON memories(json_extract(metadata, '$.namespace'))
  WHERE json_extract(metadata, '$.namespace') IS NOT NULL;
CREATE INDEX idx_mem_consolidation_key ON memories(json_extract(metadata, '$.consolidation_key'))
  WHERE memory_type = 'consolidated';
