-- One event by the id its sender gave it (the console's event page, GET /v1/events/:id): an index range, not a read of
-- every event.
CREATE INDEX events_id_idx ON events (id, internal_id DESC);
