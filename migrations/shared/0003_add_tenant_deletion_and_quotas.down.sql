-- Undoes 0003_add_tenant_deletion_and_quotas.up.sql. Soft-deleted tenants
-- become ordinary tenants again in the state they had before the delete,
-- and the limits are lost. SQLite cannot drop a column that an index
-- uses, so the index goes first.

DROP INDEX tenants_by_purge_time;

ALTER TABLE tenants DROP COLUMN delete_time;
ALTER TABLE tenants DROP COLUMN purge_time;
ALTER TABLE tenants DROP COLUMN max_profiles;
ALTER TABLE tenants DROP COLUMN max_documents;
ALTER TABLE tenants DROP COLUMN max_document_bytes;
