-- One free trial per person, remembered after the account is deleted, and a card-less trial only
-- from a confirmed address.

-- Who has had a free trial. Deleting an account keeps its rows here, so signing up again with
-- the same address (or paying with the same card) earns no second trial. Nothing here names a
-- person or a card: `digest` is an HMAC-SHA256, under the server's TRIAL_LEDGER_KEY, of a
-- normalised email address (`kind = 'email'`) or of a card's Stripe fingerprint (`'card'`).
CREATE TABLE trial_ledger (
    kind            text NOT NULL CONSTRAINT trial_ledger_kind_known CHECK (kind IN ('email', 'card')),
    digest          bytea NOT NULL,
    -- The subscription whose trial first recorded it (a Stripe id; it outlives the account).
    subscription_id text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, digest)
);

-- When the account's current address was confirmed by a mailed link (at sign-up, on request,
-- or by an email change). NULL: not confirmed; accounts made before this column start so.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- The confirmation link mailed at sign-up carries the address it confirms, like an email
-- change's: a link for an address the account no longer has confirms nothing.
ALTER TABLE auth_tokens
    DROP CONSTRAINT auth_tokens_purpose_known,
    ADD CONSTRAINT auth_tokens_purpose_known
        CHECK (purpose IN ('password_reset', 'email_change', 'email_verification')),
    DROP CONSTRAINT auth_tokens_email_change_has_address,
    ADD CONSTRAINT auth_tokens_email_change_has_address
        CHECK ((purpose IN ('email_change', 'email_verification')) = (new_email IS NOT NULL));
