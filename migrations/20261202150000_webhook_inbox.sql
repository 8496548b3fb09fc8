-- The webhook inbox. `POST /webhooks/stripe` only records a verified event (with its body) and
-- answers; workers in every replica apply it afterwards. An event is
--   due        while `applied_at` is null and `next_attempt_at` has passed (new events: at once),
--   claimed   by a worker that moved `next_attempt_at` a lease ahead (a crashed worker's claim
--              simply comes due again when its lease runs out),
--   applied    once `applied_at` is set,
--   given up   when neither is set: it failed for days (or was recorded before the inbox, without
--              its body); `server stripe events retry` or Stripe re-sending it queues it again.
ALTER TABLE stripe_events
    ADD COLUMN payload JSONB,
    ADD COLUMN next_attempt_at TIMESTAMPTZ;
-- Attempts are counted when a worker claims the event, not when it is received.
ALTER TABLE stripe_events ALTER COLUMN attempts SET DEFAULT 0;
CREATE INDEX stripe_events_due ON stripe_events (next_attempt_at) WHERE applied_at IS NULL;

-- The order in which Stripe objects were fetched, so a slow fetch can never overwrite what a later
-- one stored. A writer draws a ticket from the sequence *before* it asks Stripe for an object, and
-- stores what Stripe answered only if no writer with a later ticket stored that object already
-- (`stripe_object_fetches` keeps the latest ticket stored per object). Every change in Stripe sends
-- an event, and the event's fetch draws its ticket after the event arrived, so the last ticket
-- stored always saw the last change.
CREATE SEQUENCE stripe_fetch_tickets;
CREATE TABLE stripe_object_fetches (
    object_id  TEXT PRIMARY KEY,            -- sub_…, in_…, prod_…, price_…, cs_…
    ticket     BIGINT NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
