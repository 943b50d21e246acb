-- An event's merged sessions (meta.sessions), handed to every run it starts; NULL when it has none.
ALTER TABLE events ADD COLUMN meta jsonb;
