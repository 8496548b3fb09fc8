-- pgbench: the storage work of applying one webhook event, as the app does it — record the
-- event id, upsert the subscription row, mark the event applied — on rows of their own
-- (`sub_pgbench_…`) in the same database. Variables (bound as parameters: run with --protocol
-- prepared): :user_id, :customer, :subscriptions.
\set n random(1, :subscriptions)
\set e random(1, 2000000000)
BEGIN;
INSERT INTO stripe_events (id, type, object_id, created)
VALUES ('evt_pgbench_' || CAST(:client_id AS text) || '_' || CAST(:e AS text), 'customer.subscription.updated',
        'sub_pgbench_' || CAST(:n AS text), now())
ON CONFLICT (id) DO UPDATE SET attempts = stripe_events.attempts + 1
WHERE stripe_events.applied_at IS NULL;
SELECT pg_advisory_xact_lock(hashtextextended('sub_pgbench_' || CAST(:n AS text), 0));
INSERT INTO subscriptions (id, user_id, stripe_customer_id, status, cancel_at_period_end, created)
VALUES ('sub_pgbench_' || CAST(:n AS text), CAST(:user_id AS uuid), CAST(:customer AS text),
        'active', false, now())
ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, synced_at = now();
UPDATE stripe_events SET applied_at = now(), error = NULL
WHERE id = 'evt_pgbench_' || CAST(:client_id AS text) || '_' || CAST(:e AS text);
COMMIT;
