-- API keys of tenants. Only a SHA-256 hash of each secret is stored, so a
-- copy of this table does not let anyone call the API.

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  -- Lowercase hex SHA-256 of the secret part of the key.
  secret_sha256 TEXT NOT NULL,
  create_time BIGINT NOT NULL
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
