-- Content larger than the server's --document_inline_max_bytes lives in
-- document_chunks, in pieces, instead of in documents.content, so that the
-- server reads and writes a large document piece by piece. Keeping the
-- pieces in the tenant's own database means that a backup of the file
-- copies them and removing the file removes them.

-- Lowercase hex SHA-256 of the content. Rows written before this migration
-- keep '' until the document's content is next written; reads compute the
-- hash of such a row from its inline content.
ALTER TABLE documents ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';

-- The blob_id of the content's pieces in document_chunks, or NULL when the
-- content is in documents.content (which is then x'' for chunked rows).
ALTER TABLE documents ADD COLUMN content_blob_id TEXT;

CREATE UNIQUE INDEX documents_by_content_blob ON documents (content_blob_id);

-- The content of one blob is the data of its rows in seq order, from 0.
CREATE TABLE document_chunks (
  blob_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (blob_id, seq)
);

-- Uploads whose pieces are written but whose documents row is not: each
-- piece commits on its own so that an upload does not hold the tenant's
-- write lock. server_instance is a random id of the server process; a
-- server removes the rows of other instances, and their pieces, because a
-- process that is gone cannot finish its uploads.
CREATE TABLE document_uploads (
  blob_id TEXT PRIMARY KEY,
  server_instance TEXT NOT NULL,
  create_time INTEGER NOT NULL
);

-- The pieces go with the row that references them, whichever statement
-- deletes the row or replaces its content.
CREATE TRIGGER documents_delete_chunks
AFTER DELETE ON documents
WHEN OLD.content_blob_id IS NOT NULL
BEGIN
  DELETE FROM document_chunks WHERE blob_id = OLD.content_blob_id;
END;

CREATE TRIGGER documents_replace_chunks
AFTER UPDATE OF content_blob_id ON documents
WHEN OLD.content_blob_id IS NOT NULL
  AND OLD.content_blob_id IS NOT NEW.content_blob_id
BEGIN
  DELETE FROM document_chunks WHERE blob_id = OLD.content_blob_id;
END;
