-- A unique, URL-friendly handle and a date of birth for profiles. Both are
-- optional; SQLite lets many rows hold NULL in a UNIQUE column.

ALTER TABLE profiles ADD COLUMN slug TEXT;
ALTER TABLE profiles ADD COLUMN date_of_birth TEXT;

CREATE UNIQUE INDEX profiles_by_slug ON profiles (slug);
