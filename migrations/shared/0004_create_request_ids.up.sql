-- Creates in the shared store (CreateTenant, CreateUser) that carried a
-- request_id, so that a retry returns the first result instead of making
-- a second resource. Written in SQL that both SQLite and PostgreSQL accept.
--
-- `resource_id` is empty while a CreateTenant that reserved the row has
-- not registered its tenant yet; a retry of the same request finishes it.
-- The purge deletes rows older than the server's --tenant_retention.

CREATE TABLE request_ids (
  -- The method, for example `CreateTenant`.
  method TEXT NOT NULL,
  request_id TEXT NOT NULL,
  -- Lowercase hex SHA-256 of the request without its request_id.
  request_sha256 TEXT NOT NULL,
  -- The id of the tenant or user that the request created.
  resource_id TEXT NOT NULL,
  -- Microseconds since the Unix epoch, in UTC.
  create_time BIGINT NOT NULL,
  PRIMARY KEY (method, request_id)
);

CREATE INDEX request_ids_by_create_time ON request_ids (create_time);
