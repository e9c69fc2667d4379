-- Usage counts that the database keeps current itself, and the request ids
-- of tenant-scoped creates.
--
-- `usage_counts` has exactly one row. Triggers on profiles, posts and
-- documents update it in the same statement as the change, so quota checks
-- and GetTenantUsage read one row instead of counting whole tables. Posts
-- that ON DELETE CASCADE removes with their profile fire the posts trigger
-- too. A database migrated to this version gets the counts of the rows it
-- already holds.

CREATE TABLE usage_counts (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  profiles INTEGER NOT NULL,
  posts INTEGER NOT NULL,
  documents INTEGER NOT NULL,
  -- The sum of documents.size_bytes.
  document_bytes INTEGER NOT NULL
);

INSERT INTO usage_counts (singleton, profiles, posts, documents, document_bytes)
SELECT 1,
       (SELECT count(*) FROM profiles),
       (SELECT count(*) FROM posts),
       (SELECT count(*) FROM documents),
       (SELECT coalesce(sum(size_bytes), 0) FROM documents);

CREATE TRIGGER profiles_count_insert AFTER INSERT ON profiles
BEGIN
  UPDATE usage_counts SET profiles = profiles + 1;
END;

CREATE TRIGGER profiles_count_delete AFTER DELETE ON profiles
BEGIN
  UPDATE usage_counts SET profiles = profiles - 1;
END;

CREATE TRIGGER posts_count_insert AFTER INSERT ON posts
BEGIN
  UPDATE usage_counts SET posts = posts + 1;
END;

CREATE TRIGGER posts_count_delete AFTER DELETE ON posts
BEGIN
  UPDATE usage_counts SET posts = posts - 1;
END;

CREATE TRIGGER documents_count_insert AFTER INSERT ON documents
BEGIN
  UPDATE usage_counts
  SET documents = documents + 1,
      document_bytes = document_bytes + new.size_bytes;
END;

CREATE TRIGGER documents_count_delete AFTER DELETE ON documents
BEGIN
  UPDATE usage_counts
  SET documents = documents - 1,
      document_bytes = document_bytes - old.size_bytes;
END;

CREATE TRIGGER documents_count_resize AFTER UPDATE OF size_bytes ON documents
BEGIN
  UPDATE usage_counts
  SET document_bytes = document_bytes - old.size_bytes + new.size_bytes;
END;

-- Creates that carried a request_id, so that a retry returns the resource
-- the first attempt made. `request_sha256` is the hash of the request
-- without its request_id; the same id with another hash is a different
-- request. Rows older than 7 days are deleted by later creates.
CREATE TABLE request_ids (
  method TEXT NOT NULL,
  request_id TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  PRIMARY KEY (method, request_id)
) WITHOUT ROWID;

CREATE INDEX request_ids_by_create_time ON request_ids (create_time);
