-- Tenants' weights in the fair share of slots (PUT /v1/tenants/weights): a tenant not listed has weight 1.
CREATE TABLE tenant_weights (
  tenant text PRIMARY KEY,
  weight integer NOT NULL CHECK (weight BETWEEN 1 AND 100)
);
