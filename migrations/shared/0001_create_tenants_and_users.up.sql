-- The shared store: the tenant registry and the user directory.
-- Written in SQL that both SQLite and PostgreSQL accept.
-- Times are microseconds since the Unix epoch, in UTC.

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'suspended')),
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  revision BIGINT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  -- The email in lowercase, so that uniqueness ignores letter case the
  -- same way on every backend.
  email_key TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  revision BIGINT NOT NULL
);
