-- The operator console: who may open it, what its operators did, and the money after the sale
-- as Stripe last described it — charges, refunds, disputes, payouts, the balance transactions
-- behind them and the balance — mirrored through webhooks (each event re-fetches its object, as
-- for subscriptions), so the console reads Postgres and still works while Stripe is down.

-- `admin` opens `/admin`; everyone else is a `member`. Changed by `server admin grant|revoke`.
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'member',
    ADD CONSTRAINT users_role_known CHECK (role IN ('member', 'admin'));

-- Every action taken in the console, whatever came of it. `idempotency_key` is the key of the
-- Stripe call the action made, derived from the form the admin submitted: submitting the same
-- form twice (a double click, a retry) finds the first row here and moves no money again, so the
-- key is unique among the actions that succeeded.
CREATE TABLE admin_actions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL once the admin's account is deleted; the address stays for the record.
    admin_id          uuid REFERENCES users (id) ON DELETE SET NULL,
    admin_email       text NOT NULL,
    action            text NOT NULL,
    -- The Stripe object acted on: ch_…, du_…, sub_…, evt_…, or the currency of a payout.
    object_id         text NOT NULL,
    -- Money moved (or asked for), in the currency's minor unit.
    amount            bigint,
    currency          text,
    idempotency_key   text,
    stripe_request_id text,
    outcome           text NOT NULL,
    -- Stripe's words for a refusal, or what the admin gave (a refund's reason).
    detail            text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT admin_actions_action_known CHECK (action IN (
        'refund', 'payout', 'dispute_evidence_saved', 'dispute_submitted', 'dispute_accepted',
        'subscription_canceled', 'event_reapplied'
    )),
    CONSTRAINT admin_actions_outcome_known CHECK (outcome IN ('succeeded', 'refused', 'failed')),
    CONSTRAINT admin_actions_amount_has_currency CHECK ((amount IS NULL) = (currency IS NULL))
);
CREATE UNIQUE INDEX admin_actions_succeeded_once ON admin_actions (idempotency_key)
    WHERE outcome = 'succeeded' AND idempotency_key IS NOT NULL;

-- Charges as Stripe last returned them. A charge may have no customer (a payment link, a
-- terminal); fee and net come from its balance transaction, NULL until it has one.
CREATE TABLE stripe_charges (
    id                     text PRIMARY KEY,          -- ch_…
    stripe_customer_id     text,
    payment_intent_id      text,
    amount                 bigint NOT NULL,
    amount_captured        bigint NOT NULL,
    amount_refunded        bigint NOT NULL,
    currency               text NOT NULL,
    status                 text NOT NULL,
    refunded               boolean NOT NULL,
    disputed               boolean NOT NULL,
    balance_transaction_id text,
    fee                    bigint,
    net                    bigint,
    description            text,
    billing_email          text,
    billing_name           text,
    card_brand             text,
    card_last4             text,
    failure_message        text,
    created                timestamptz NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_charges_status_known CHECK (status IN ('succeeded', 'pending', 'failed'))
);
CREATE INDEX stripe_charges_newest ON stripe_charges (created DESC, id DESC);
CREATE INDEX stripe_charges_customer ON stripe_charges (stripe_customer_id);
CREATE INDEX stripe_charges_payment_intent ON stripe_charges (payment_intent_id);

-- Refunds, partial or full, of the charges above.
CREATE TABLE stripe_refunds (
    id         text PRIMARY KEY,                      -- re_…
    charge_id  text NOT NULL,
    amount     bigint NOT NULL,
    currency   text NOT NULL,
    status     text NOT NULL,
    reason     text,
    created    timestamptz NOT NULL,
    synced_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_refunds_status_known CHECK (status IN (
        'pending', 'requires_action', 'succeeded', 'failed', 'canceled'
    ))
);
CREATE INDEX stripe_refunds_charge ON stripe_refunds (charge_id, created);

-- Disputes (chargebacks). `evidence` holds the text fields of the evidence as last saved, for
-- the console's form; `evidence_due_by` is Stripe's `evidence_details.due_by`.
CREATE TABLE stripe_disputes (
    id               text PRIMARY KEY,                -- du_…
    charge_id        text NOT NULL,
    amount           bigint NOT NULL,
    currency         text NOT NULL,
    status           text NOT NULL,
    reason           text NOT NULL,
    evidence         jsonb NOT NULL DEFAULT '{}',
    evidence_due_by  timestamptz,
    has_evidence     boolean NOT NULL,
    submission_count integer NOT NULL,
    created          timestamptz NOT NULL,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_disputes_status_known CHECK (status IN (
        'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response',
        'under_review', 'won', 'lost', 'prevented'
    ))
);
CREATE INDEX stripe_disputes_charge ON stripe_disputes (charge_id);
CREATE INDEX stripe_disputes_newest ON stripe_disputes (created DESC, id DESC);

-- Payouts from the Stripe balance to the business's bank account.
CREATE TABLE stripe_payouts (
    id              text PRIMARY KEY,                 -- po_…
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    status          text NOT NULL,
    method          text NOT NULL,
    automatic       boolean NOT NULL,
    arrival_date    timestamptz NOT NULL,
    failure_code    text,
    failure_message text,
    description     text,
    created         timestamptz NOT NULL,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_payouts_status_known CHECK (status IN (
        'paid', 'pending', 'in_transit', 'canceled', 'failed'
    ))
);
CREATE INDEX stripe_payouts_newest ON stripe_payouts (created DESC, id DESC);

-- Every movement of the Stripe balance: a charge in, its fee, a refund or a dispute out, a
-- payout to the bank. `kind` is Stripe's `type`; `source_id` the object that moved the money.
CREATE TABLE stripe_balance_transactions (
    id                 text PRIMARY KEY,              -- txn_…
    kind               text NOT NULL,
    reporting_category text NOT NULL,
    amount             bigint NOT NULL,
    fee                bigint NOT NULL,
    net                bigint NOT NULL,
    currency           text NOT NULL,
    status             text NOT NULL,
    available_on       timestamptz NOT NULL,
    source_id          text,
    description        text,
    created            timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_balance_transactions_status_known CHECK (status IN ('available', 'pending'))
);
CREATE INDEX stripe_balance_transactions_newest ON stripe_balance_transactions (created DESC, id DESC);
CREATE INDEX stripe_balance_transactions_source ON stripe_balance_transactions (source_id);

-- The Stripe balance per currency, as last fetched (on `balance.available` and after a payout).
CREATE TABLE stripe_balance (
    currency  text PRIMARY KEY,
    available bigint NOT NULL,
    pending   bigint NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now()
);

-- The console's customer page: a customer's subscriptions and invoices, and the events about
-- them (its timeline).
CREATE INDEX subscriptions_stripe_customer_id ON subscriptions (stripe_customer_id);
CREATE INDEX invoices_stripe_customer_id ON invoices (stripe_customer_id);
CREATE INDEX stripe_events_object_id ON stripe_events (object_id);

-- Which payment bought a one-time purchase: its charge's refunds and disputes decide whether
-- the purchase still grants its features. NULL for purchases stored before it was recorded.
ALTER TABLE purchases ADD COLUMN payment_intent_id text;
CREATE INDEX purchases_payment_intent ON purchases (payment_intent_id);
