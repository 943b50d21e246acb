-- Engine schema, version 1. Times are epoch milliseconds (bigint) throughout.
CREATE TABLE apps (
  id          text PRIMARY KEY,
  url         text NOT NULL,
  sdk         text,
  framework   text,
  app_version text,
  synced_at   bigint,
  error       text,
  created_at  bigint NOT NULL
);

CREATE TABLE functions (
  slug       text PRIMARY KEY,
  app_id     text NOT NULL,
  name       text NOT NULL,
  config     jsonb NOT NULL,
  paused     boolean NOT NULL DEFAULT false,
  archived   boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE events (
  internal_id text PRIMARY KEY,         -- ULID; sorts by receive time
  id          text NOT NULL,            -- the user-facing id (idempotency id, or the internal id)
  name        text NOT NULL,
  data        jsonb NOT NULL,
  "user"      jsonb,
  v           text,
  ts          bigint NOT NULL,
  received_at bigint NOT NULL
);
CREATE INDEX events_name_idx ON events (name, internal_id DESC);

CREATE TABLE runs (
  id              text PRIMARY KEY,     -- ULID; sorts by creation time
  function_slug   text NOT NULL,
  status          text NOT NULL,        -- queued | running | completed | failed | cancelled
  event_ids       text[] NOT NULL,
  events          jsonb NOT NULL,
  batch_id        text,
  created_at      bigint NOT NULL,
  started_at      bigint,
  ended_at        bigint,
  output          jsonb,
  error           jsonb,
  request_version integer NOT NULL DEFAULT -1,
  force_step_plan boolean NOT NULL DEFAULT false,
  pending         jsonb NOT NULL DEFAULT '[]',
  priority        integer NOT NULL DEFAULT 0,
  concurrency     jsonb NOT NULL DEFAULT '[]',
  singleton_key   text,
  parent          jsonb,
  replay_of       text,
  cancel_reason   text
);
CREATE INDEX runs_function_idx ON runs (function_slug, id DESC);
CREATE INDEX runs_status_idx ON runs (status, id DESC);
CREATE INDEX runs_active_idx ON runs (id) WHERE status IN ('queued', 'running');
CREATE INDEX runs_event_ids_idx ON runs USING gin (event_ids);

CREATE TABLE memos (
  run_id text NOT NULL,
  hash   text NOT NULL,
  seq    integer NOT NULL,
  memo   jsonb,
  PRIMARY KEY (run_id, hash)
);

CREATE TABLE queue (
  id      text PRIMARY KEY,
  run_id  text NOT NULL,
  kind    text NOT NULL,                -- exec | sleep | gateway
  step_id text NOT NULL,
  attempt integer NOT NULL,
  at      bigint NOT NULL,
  data    jsonb NOT NULL
);
CREATE INDEX queue_run_idx ON queue (run_id);

CREATE TABLE pauses (
  id         text PRIMARY KEY,          -- ULID; only events received after it match
  run_id     text NOT NULL,
  kind       text NOT NULL,             -- wait | cancel | invoke
  event      text,
  expr       text,
  expires_at bigint NOT NULL,
  step_hash  text,
  data       jsonb NOT NULL
);
CREATE INDEX pauses_run_idx ON pauses (run_id);

CREATE TABLE history (
  id         text PRIMARY KEY,
  run_id     text NOT NULL,
  kind       text NOT NULL,             -- step | function | sleep | wait | invoke | gateway
  step_hash  text,
  step_name  text,
  attempt    integer NOT NULL DEFAULT 0,
  status     text NOT NULL,
  started_at bigint NOT NULL,
  ended_at   bigint,
  output     jsonb,
  error      jsonb,
  detail     jsonb
);
CREATE INDEX history_run_idx ON history (run_id, id);

-- Flow-control and scheduling state: dedup keys, GCRA times, debounce, batches, cron marks.
CREATE TABLE state (
  kind       text NOT NULL,
  key        text NOT NULL,
  value      jsonb NOT NULL,
  expires_at bigint,
  PRIMARY KEY (kind, key)
);

CREATE TABLE leader (
  id           integer PRIMARY KEY,
  holder       text NOT NULL,
  pid          integer NOT NULL,
  host         text NOT NULL,
  heartbeat_at bigint NOT NULL
);
