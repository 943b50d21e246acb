-- Every event's and run's tenant, kept by PostgreSQL from the event data's orgId (the tenant field Jobdeck's app sends
-- with every event), so a tenant's events page and runs list read one index range however much other tenants send.
-- A run's tenant is its (first) triggering event's. data_bytes lets the events list say how big an event is without
-- reading its data.
ALTER TABLE events ADD COLUMN tenant text GENERATED ALWAYS AS (data->>'orgId') STORED;
ALTER TABLE events ADD COLUMN data_bytes integer GENERATED ALWAYS AS (octet_length(data::text)) STORED;
ALTER TABLE runs ADD COLUMN tenant text GENERATED ALWAYS AS (events->0->'data'->>'orgId') STORED;
CREATE INDEX events_tenant_idx ON events (tenant, internal_id DESC) WHERE tenant IS NOT NULL;
CREATE INDEX events_tenant_name_idx ON events (tenant, name, internal_id DESC) WHERE tenant IS NOT NULL;
CREATE INDEX runs_tenant_idx ON runs (tenant, id DESC) WHERE tenant IS NOT NULL;
CREATE INDEX runs_tenant_status_idx ON runs (tenant, status, id DESC) WHERE tenant IS NOT NULL;
-- Retention and the received_after/received_before filters read events by receive time.
CREATE INDEX events_received_at_idx ON events (received_at);
