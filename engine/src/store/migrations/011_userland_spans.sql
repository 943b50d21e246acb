-- Spans an app's own code made while running a step or a function (the SDK's Extended Traces, posted to
-- /v1/traces/userland): kept with their run and deleted with it (store/retention.ts). Times are nanoseconds since the
-- epoch (spans are often shorter than a millisecond). parent_span_id is null for a span made directly in the step or
-- the function (the SDK's wrapper span around the request is not kept); step_hash and attempt name the step attempt
-- it was made in. Attributes and events are bounded when they arrive (protocol/otlp-values.ts).
CREATE TABLE spans (
  run_id         text NOT NULL,
  span_id        text NOT NULL,
  trace_id       text NOT NULL,
  parent_span_id text,
  step_hash      text,
  attempt        integer,
  name           text NOT NULL,
  kind           smallint NOT NULL DEFAULT 0,
  start_ns       bigint NOT NULL,
  end_ns         bigint NOT NULL,
  status         text NOT NULL,
  status_message text,
  scope          text,
  scope_version  text,
  service        text,
  attributes     jsonb NOT NULL DEFAULT '{}',
  events         jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, span_id)
);
