-- Bytes of metadata a run has been given (engine/src/runs/metadata.ts): Inngest caps it at 1 MB per run. The
-- updates themselves are history rows of kind 'metadata'.
ALTER TABLE runs ADD COLUMN metadata_bytes integer NOT NULL DEFAULT 0;
