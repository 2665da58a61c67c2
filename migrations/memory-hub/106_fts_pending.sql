-- Lexical indexing of new memories happens once per commit instead of once per row: the insert
-- trigger queues the row here, and the writer indexes every queued row with one INSERT … SELECT
-- before it commits (GroupCommit's pre-commit step; lexical search and start-up also drain it, for
-- rows another process wrote). FTS5 costs ~20 µs per row inserted one by one and ~3 µs per row in
-- one statement. Delete and update skip the FTS5 'delete' of a queued row: it was never indexed,
-- and deleting unindexed values would damage the index.
CREATE TABLE memories_fts_pending (seq INTEGER PRIMARY KEY);

DROP TRIGGER memories_ai;
CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts_pending(seq) SELECT new.seq WHERE NOT EXISTS (SELECT 1 FROM memories_fts_pending WHERE seq = new.seq);
  INSERT INTO vector_queue(seq) SELECT new.seq WHERE NOT EXISTS (SELECT 1 FROM vector_queue WHERE seq = new.seq);
END;

DROP TRIGGER memories_ad;
CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, tags) SELECT 'delete', old.seq, old.content, old.tags
    WHERE NOT EXISTS (SELECT 1 FROM memories_fts_pending WHERE seq = old.seq);
  DELETE FROM memories_fts_pending WHERE seq = old.seq;
  DELETE FROM vector_queue WHERE seq = old.seq;
  DELETE FROM memory_vectors WHERE seq = old.seq;
  INSERT INTO vector_tombstones(seq) SELECT old.seq WHERE NOT EXISTS (SELECT 1 FROM vector_tombstones WHERE seq = old.seq);
END;

DROP TRIGGER memories_au;
CREATE TRIGGER memories_au AFTER UPDATE OF content, tags ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, tags) SELECT 'delete', old.seq, old.content, old.tags
    WHERE NOT EXISTS (SELECT 1 FROM memories_fts_pending WHERE seq = old.seq);
  INSERT INTO memories_fts(rowid, content, tags) SELECT new.seq, new.content, new.tags
    WHERE NOT EXISTS (SELECT 1 FROM memories_fts_pending WHERE seq = new.seq);
  INSERT INTO vector_queue(seq) SELECT new.seq
    WHERE new.content IS NOT old.content AND NOT EXISTS (SELECT 1 FROM vector_queue WHERE seq = new.seq);
END;
