-- A run's defer() calls by hashed step id (engine/src/runs/defers.ts); NULL until the first.
ALTER TABLE runs ADD COLUMN defers jsonb;
