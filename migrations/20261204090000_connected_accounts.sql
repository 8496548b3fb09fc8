-- Paying partners through Stripe Connect. A partner connects a Stripe account (hosted onboarding
-- or the app's own form); the daily pay run moves what they earned to it with one Transfer per
-- partner, currency and day; a refund or a lost dispute takes the commission back — cancelled
-- while unpaid, recovered with a transfer reversal once paid.

-- A partner's connected account, as Stripe last reported it (`account.updated` and friends).
CREATE TABLE partner_accounts (
    partner_id         uuid PRIMARY KEY REFERENCES partners (user_id) ON DELETE CASCADE,
    stripe_account_id  text NOT NULL,                  -- acct_…
    -- How it was onboarded: Stripe's hosted pages, or the app's own form (a custom account).
    onboarding         text NOT NULL,
    details_submitted  boolean NOT NULL DEFAULT false,
    charges_enabled    boolean NOT NULL DEFAULT false,
    payouts_enabled    boolean NOT NULL DEFAULT false,
    -- Whether its `transfers` capability is active (what the pay run needs).
    transfers_active   boolean NOT NULL DEFAULT false,
    -- Stripe's `requirements.currently_due` and `disabled_reason`.
    requirements_due   text[] NOT NULL DEFAULT '{}',
    disabled_reason    text,
    -- `settings.payouts.schedule.interval`.
    payout_interval    text NOT NULL DEFAULT 'daily',
    -- The bank account payouts go to, for display (`STRIPE TEST BANK ••••6789`).
    bank_name          text,
    bank_last4         text,
    -- Set when the partner disconnected the platform (`account.application.deauthorized`).
    deauthorized_at    timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    synced_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partner_accounts_stripe_account_key UNIQUE (stripe_account_id),
    CONSTRAINT partner_accounts_onboarding_known CHECK (onboarding IN ('hosted', 'platform')),
    CONSTRAINT partner_accounts_payout_interval_known
        CHECK (payout_interval IN ('manual', 'daily', 'weekly', 'monthly'))
);

-- One transfer attempt per partner, currency, period (the pay run's day) and attempt: the row
-- is written before Stripe is called, and its key (`idempotency_key`) makes a rerun of an
-- unfinished attempt safe. `failed` attempts (Stripe refused) released their commissions; the
-- next run makes a new attempt.
CREATE TABLE partner_transfers (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id         uuid NOT NULL REFERENCES partners (user_id) ON DELETE CASCADE,
    stripe_account_id  text NOT NULL,
    period             date NOT NULL,
    attempt            integer NOT NULL,
    currency           text NOT NULL,
    amount             bigint NOT NULL,
    status             text NOT NULL DEFAULT 'pending',
    idempotency_key    text NOT NULL,
    stripe_transfer_id text,                           -- tr_…
    -- What has been taken back with transfer reversals.
    amount_reversed    bigint NOT NULL DEFAULT 0,
    failure            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    settled_at         timestamptz,
    CONSTRAINT partner_transfers_attempt_key UNIQUE (partner_id, currency, period, attempt),
    CONSTRAINT partner_transfers_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT partner_transfers_stripe_transfer_key UNIQUE (stripe_transfer_id),
    CONSTRAINT partner_transfers_status_known CHECK (status IN ('pending', 'paid', 'failed')),
    CONSTRAINT partner_transfers_amount_positive CHECK (amount > 0),
    CONSTRAINT partner_transfers_reversed_within CHECK (amount_reversed BETWEEN 0 AND amount)
);
CREATE INDEX partner_transfers_partner ON partner_transfers (partner_id, created_at DESC);
-- At most one unsettled attempt per partner and currency.
CREATE UNIQUE INDEX partner_transfers_one_pending ON partner_transfers (partner_id, currency)
    WHERE status = 'pending';

-- Commissions: what was taken back (refunds in proportion, a lost dispute in full) and the
-- transfer that paid them.
ALTER TABLE partner_commissions
    ADD COLUMN amount_taken_back bigint NOT NULL DEFAULT 0,
    ADD COLUMN transfer_id uuid REFERENCES partner_transfers (id) ON DELETE SET NULL,
    ADD CONSTRAINT partner_commissions_taken_back_within
        CHECK (amount_taken_back BETWEEN 0 AND amount);
CREATE INDEX partner_commissions_transfer ON partner_commissions (transfer_id);

-- Reversals owed on paid commissions: written in the transaction that records the refund or
-- dispute, made in Stripe by the next pay run (its key is the commission and the total taken
-- back so far, so a rerun never reverses twice).
CREATE TABLE partner_transfer_reversals (
    idempotency_key     text PRIMARY KEY,
    transfer_id         uuid NOT NULL REFERENCES partner_transfers (id) ON DELETE CASCADE,
    invoice_id          text NOT NULL REFERENCES partner_commissions (invoice_id) ON DELETE CASCADE,
    amount              bigint NOT NULL,
    status              text NOT NULL DEFAULT 'pending',
    stripe_reversal_id  text,                          -- trr_…
    failure             text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    settled_at          timestamptz,
    CONSTRAINT partner_transfer_reversals_amount_positive CHECK (amount > 0),
    CONSTRAINT partner_transfer_reversals_status_known
        CHECK (status IN ('pending', 'reversed', 'failed'))
);
CREATE INDEX partner_transfer_reversals_pending ON partner_transfer_reversals (created_at)
    WHERE status = 'pending';

-- Each pay run: when, who ran it, and what it did (shown in the console).
CREATE TABLE partner_pay_runs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    period      date NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- `schedule` (the daily background run) or `command` (`server partners pay`).
    trigger     text NOT NULL,
    summary     text,
    CONSTRAINT partner_pay_runs_trigger_known CHECK (trigger IN ('schedule', 'command'))
);
CREATE INDEX partner_pay_runs_newest ON partner_pay_runs (started_at DESC);

-- An invoice's payment, to find the commission a refunded or disputed charge earned.
ALTER TABLE invoices ADD COLUMN payment_intent_id text;
CREATE INDEX invoices_payment_intent ON invoices (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;
