-- Bulk cancellations made through POST /v1/cancellations (Inngest's REST shape), kept so they can be listed and deleted.
CREATE TABLE cancellations (
  id             text PRIMARY KEY,  -- ULID
  created_at     bigint NOT NULL,
  app_id         text NOT NULL,
  function_slug  text NOT NULL,
  started_after  bigint,
  started_before bigint NOT NULL,
  "if"           text,              -- CEL over the run's triggering event; NULL cancels every run in the window
  cancelled      integer NOT NULL DEFAULT 0
);
