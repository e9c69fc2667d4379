-- Undoes 0003_add_request_ids_and_usage.up.sql. The recorded request ids
-- are lost, so a retry after going back to version 2 creates a second
-- resource.

DROP INDEX request_ids_by_create_time;
DROP TABLE request_ids;

DROP TRIGGER documents_count_resize;
DROP TRIGGER documents_count_delete;
DROP TRIGGER documents_count_insert;
DROP TRIGGER posts_count_delete;
DROP TRIGGER posts_count_insert;
DROP TRIGGER profiles_count_delete;
DROP TRIGGER profiles_count_insert;
DROP TABLE usage_counts;
