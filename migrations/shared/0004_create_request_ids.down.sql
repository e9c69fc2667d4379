-- Undoes 0004_create_request_ids.up.sql. Retries of creates made before
-- the downgrade are no longer recognized and create a second resource.

DROP INDEX request_ids_by_create_time;
DROP TABLE request_ids;
