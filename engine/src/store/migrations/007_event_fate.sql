-- What each function made of the event (engine/src/events/fate.ts): a run, or why not. NULL for events stored
-- before this column existed.
ALTER TABLE events ADD COLUMN fate jsonb;
