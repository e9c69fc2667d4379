-- Undoes 0001_create_profiles_posts_documents.up.sql: drops the tenant's
-- profiles, posts and documents. The tables that refer to profiles go
-- first.

DROP TABLE documents;
DROP TABLE posts;
DROP TABLE profiles;
