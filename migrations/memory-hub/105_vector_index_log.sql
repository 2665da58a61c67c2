-- Issue 20: the HNSW graph of large memory sets is saved to a file next to this database, so a
-- restart loads it instead of rebuilding it. Every change to memory_vectors is logged here; the
-- file records the last log id it includes, and at load the entries after it are replayed (a
-- crash between saves loses nothing). Entries the saved file covers are deleted after each save.
CREATE TABLE vector_index_log (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL);
CREATE TRIGGER memory_vectors_log_ai AFTER INSERT ON memory_vectors BEGIN
  INSERT INTO vector_index_log(seq) VALUES (new.seq);
END;
CREATE TRIGGER memory_vectors_log_au AFTER UPDATE ON memory_vectors BEGIN
  INSERT INTO vector_index_log(seq) VALUES (new.seq);
END;
CREATE TRIGGER memory_vectors_log_ad AFTER DELETE ON memory_vectors BEGIN
  INSERT INTO vector_index_log(seq) VALUES (old.seq);
END;
