-- pgbench: what `POST /webhooks/stripe` does in the database for one new event, as
-- `backend/src/billing/inbox.rs::accept` does it — the one inbox INSERT (the event's body as jsonb,
-- due at once: `next_attempt_at = now()`) and the pg_notify that wakes the workers, in one
-- statement. Events of their own (`evt_pgbench_…`, about `sub_pgbench_…`), with a body shaped and
-- sized like the benchmark's signed events (pgbench would read `:null` as a variable, hence
-- `": null"`), run with the server stopped; the benchmark deletes them before it starts again.
-- Variables (bound as parameters: run with --protocol prepared): :customer, :subscriptions.
\set n random(1, :subscriptions)
\set e random(1, 2000000000)
\set created random(1700000000, 1800000000)
WITH recorded AS (
    INSERT INTO stripe_events (id, type, object_id, created, payload, next_attempt_at, applied_at)
    VALUES ('evt_pgbench_' || CAST(:client_id AS text) || '_' || CAST(:e AS text),
            'customer.subscription.updated',
            'sub_pgbench_' || CAST(:n AS text),
            to_timestamp(CAST(:created AS double precision)),
            CAST(('{"id":"evt_pgbench_' || CAST(:client_id AS text) || '_' || CAST(:e AS text)
                  || '","object":"event","api_version":"2026-10-28.endive","created":'
                  || CAST(:created AS text)
                  || ',"data":{"object":{"id":"sub_pgbench_' || CAST(:n AS text)
                  || '","object":"subscription","customer":"' || CAST(:customer AS text)
                  || '"}},"livemode": false,"pending_webhooks":1,'
                  || '"request":{"id": null,"idempotency_key": null},'
                  || '"type":"customer.subscription.updated"}') AS jsonb),
            now(), NULL)
    ON CONFLICT (id) DO UPDATE
        SET payload = EXCLUDED.payload, next_attempt_at = now(), received_at = now()
        WHERE stripe_events.applied_at IS NULL AND stripe_events.next_attempt_at IS NULL
    RETURNING id
)
SELECT recorded.id FROM recorded CROSS JOIN LATERAL pg_notify('stripe_event_received', '') AS announced;
