-- Usage-based billing: a plan may meter a feature (product metadata `metered=NAME`) with an
-- allowance included each period (`included_usage`) and a hard limit (`usage_limit`). Postgres
-- is the source of truth for limits: each use is counted here, atomically against the limit,
-- before it happens.

-- How much of a meter a billing account used in one period (the plan's billing period, or the
-- calendar month without a plan). One row per account, meter and period: concurrent uses
-- update it one after the other, each only if it stays within the limit.
CREATE TABLE usage_counters (
    account_id   uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
    meter        text NOT NULL,
    period_start timestamptz NOT NULL,
    period_end   timestamptz NOT NULL,
    used         bigint NOT NULL,
    PRIMARY KEY (account_id, meter, period_start),
    CONSTRAINT usage_counters_used_not_negative CHECK (used >= 0),
    CONSTRAINT usage_counters_period_ordered CHECK (period_start < period_end)
);

-- Each use counted, kept to report to Stripe as a meter event (its id is the event's
-- identifier, so a retry never counts twice) and for the per-day history.
CREATE TABLE usage_events (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
    meter        text NOT NULL,
    quantity     bigint NOT NULL,
    occurred_at  timestamptz NOT NULL,
    -- NULL until Stripe has it.
    reported_at  timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    CONSTRAINT usage_events_quantity_positive CHECK (quantity > 0)
);
CREATE INDEX usage_events_unreported ON usage_events (occurred_at) WHERE reported_at IS NULL;
CREATE INDEX usage_events_account_meter ON usage_events (account_id, meter, occurred_at);

-- Each time our count of an account's reported uses and Stripe's meter event summary for the
-- same span disagreed (the reconciliation), for the operator console.
CREATE TABLE usage_discrepancies (
    id          bigserial PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
    meter       text NOT NULL,
    ours        bigint NOT NULL,
    stripes     double precision NOT NULL,
    span_start  timestamptz NOT NULL,
    span_end    timestamptz NOT NULL,
    found_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_discrepancies_found_at ON usage_discrepancies (found_at DESC);
