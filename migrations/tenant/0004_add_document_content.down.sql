-- Moves chunked content back into documents.content, then drops what
-- 0004_add_document_content.up.sql added. A document larger than SQLite's
-- maximum value length (SQLITE_MAX_LENGTH, 1,000,000,000 bytes by default)
-- makes the UPDATE fail, which rolls the whole down migration back rather
-- than lose its content. group_concat() takes the rows in the order of
-- its subquery in SQLite 3.40, so the pieces join in seq order.

UPDATE documents
SET content = COALESCE(CAST(
  (SELECT group_concat(data, '')
   FROM (SELECT data FROM document_chunks
         WHERE blob_id = documents.content_blob_id
         ORDER BY seq)) AS BLOB), x'')
WHERE content_blob_id IS NOT NULL;

DROP TRIGGER documents_replace_chunks;
DROP TRIGGER documents_delete_chunks;
DROP TABLE document_uploads;
DROP TABLE document_chunks;
DROP INDEX documents_by_content_blob;
ALTER TABLE documents DROP COLUMN content_blob_id;
ALTER TABLE documents DROP COLUMN sha256;
