-- Soft delete and per-tenant limits.
--
-- A soft-deleted tenant keeps its row and its `state` (the state an
-- undelete restores) and has `delete_time` and `purge_time` set; the purge
-- sweep removes it once `purge_time` has passed. The limits are 0 when a
-- tenant has none.

ALTER TABLE tenants ADD COLUMN delete_time BIGINT;
ALTER TABLE tenants ADD COLUMN purge_time BIGINT;
ALTER TABLE tenants ADD COLUMN max_profiles BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN max_documents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN max_document_bytes BIGINT NOT NULL DEFAULT 0;

CREATE INDEX tenants_by_purge_time ON tenants (purge_time);
