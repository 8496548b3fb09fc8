-- Billing II: what the account page shows and what entitlements are computed from — the card on
-- each subscription, when a subscription fell behind on payment, every invoice, and the billing
-- emails already sent (so a redelivered event never mails twice).

ALTER TABLE subscriptions
    -- `in_…`: the most recent invoice Stripe made for it.
    ADD COLUMN latest_invoice_id text,
    -- The card it is charged to: its own default payment method, else the customer's default.
    ADD COLUMN card_brand        text,
    ADD COLUMN card_last4        text,
    ADD COLUMN card_exp_month    integer,
    ADD COLUMN card_exp_year     integer,
    -- When it fell behind on payment, for the grace period: when we first stored it as
    -- `past_due`, or its latest invoice's creation if that was earlier (after a webhook outage);
    -- NULL unless past_due.
    ADD COLUMN past_due_since    timestamptz,
    -- `cancellation_details.reason`: `cancellation_requested`, `payment_failed`, `payment_disputed`.
    ADD COLUMN cancellation_reason text;

-- Invoices as Stripe last returned them: the account page's list, with Stripe's hosted page and
-- PDF. One-off invoices (no subscription) are kept too.
CREATE TABLE invoices (
    id                 text PRIMARY KEY,              -- in_…
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stripe_customer_id text NOT NULL,
    subscription_id    text,                          -- sub_…, from `parent.subscription_details`
    number             text,                          -- NULL while a draft
    status             text NOT NULL,
    currency           text NOT NULL,
    -- Minor units, as Stripe gives them.
    total              bigint NOT NULL,
    amount_due         bigint NOT NULL,
    amount_paid        bigint NOT NULL,
    amount_remaining   bigint NOT NULL,
    billing_reason     text,
    hosted_invoice_url text,
    invoice_pdf        text,
    period_start       timestamptz,
    period_end         timestamptz,
    attempt_count      integer NOT NULL DEFAULT 0,
    created            timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoices_status_known CHECK (status IN (
        'draft', 'open', 'paid', 'uncollectible', 'void'
    ))
);
CREATE INDEX invoices_user_id_created ON invoices (user_id, created DESC);

-- Billing emails, one row per (kind, what it is about), written with the rendered message in the
-- same transaction as the event that causes it: a duplicate or replayed event finds the row and
-- queues nothing, and a message that could not be sent yet is retried until it is (an outbox).
CREATE TABLE billing_notifications (
    kind            text NOT NULL,                    -- payment_failed, trial_ending, canceled
    subject_id      text NOT NULL,                    -- e.g. `in_…#2` (invoice and attempt)
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mail_to         text NOT NULL,
    mail_subject    text NOT NULL,
    body_text       text NOT NULL,
    body_html       text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    PRIMARY KEY (kind, subject_id)
);
CREATE INDEX billing_notifications_unsent ON billing_notifications (next_attempt_at)
    WHERE sent_at IS NULL;
CREATE INDEX billing_notifications_user_id ON billing_notifications (user_id);

-- Subscriptions already behind on payment start their grace period now.
UPDATE subscriptions SET past_due_since = synced_at WHERE status = 'past_due';

-- Stripe customers of ours that were deleted (from the dashboard, or by Stripe). Their count is
-- part of the idempotency key of the user's next customer, so Stripe cannot replay the deleted
-- one's creation (keys live 24 hours).
CREATE TABLE deleted_billing_customers (
    stripe_customer_id text PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deleted_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_billing_customers_user_id ON deleted_billing_customers (user_id);
