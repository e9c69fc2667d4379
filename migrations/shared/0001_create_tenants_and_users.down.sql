-- Undoes 0001_create_tenants_and_users.up.sql: drops the registry and the
-- user directory with all their rows. Shared 0002 and later are reverted
-- first, so no other table refers to these any more.

DROP TABLE users;
DROP TABLE tenants;
