-- Undoes 0002_create_api_keys.up.sql: drops every API key. Dropping the
-- table drops its index too.

DROP TABLE api_keys;
