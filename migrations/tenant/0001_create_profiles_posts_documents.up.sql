-- One tenant's data: profiles of users from the shared directory, their
-- posts, and documents. Times are microseconds since the Unix epoch, UTC.

CREATE TABLE profiles (
  id TEXT PRIMARY KEY,
  -- At most one profile per user in a tenant.
  user_id TEXT NOT NULL UNIQUE,
  full_name TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  bio TEXT NOT NULL DEFAULT '',
  avatar_url TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'unspecified'
    CHECK (role IN ('unspecified', 'student', 'teacher')),
  student_school TEXT NOT NULL DEFAULT '',
  student_class_name TEXT NOT NULL DEFAULT '',
  student_major TEXT NOT NULL DEFAULT '',
  student_academic_year TEXT NOT NULL DEFAULT '',
  teacher_work_unit TEXT NOT NULL DEFAULT '',
  teacher_subject TEXT NOT NULL DEFAULT '',
  teacher_specialty TEXT NOT NULL DEFAULT '',
  teacher_title TEXT NOT NULL DEFAULT '',
  verification_status TEXT NOT NULL DEFAULT 'unverified'
    CHECK (verification_status IN
           ('unverified', 'pending', 'verified', 'rejected')),
  visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'private')),
  show_contact INTEGER NOT NULL DEFAULT 0,
  allow_interaction INTEGER NOT NULL DEFAULT 1,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  revision INTEGER NOT NULL
);

CREATE INDEX profiles_by_role ON profiles (role, id);

CREATE TABLE posts (
  id TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  content TEXT NOT NULL,
  -- Media URLs joined by newlines; a valid URL contains no newline.
  media_urls TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'private')),
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
);

CREATE INDEX posts_by_profile ON posts (profile_id, id);

CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  content BLOB NOT NULL,
  content_type TEXT NOT NULL,
  owner_profile_id TEXT REFERENCES profiles (id) ON DELETE SET NULL,
  size_bytes INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  revision INTEGER NOT NULL
);

CREATE INDEX documents_by_owner ON documents (owner_profile_id, id);
