-- Undoes 0002_add_profile_slug_and_birth_date.up.sql: the slugs and dates
-- of birth are lost. SQLite cannot drop a column that a UNIQUE index
-- uses, so the index goes first.

DROP INDEX profiles_by_slug;

ALTER TABLE profiles DROP COLUMN slug;
ALTER TABLE profiles DROP COLUMN date_of_birth;
