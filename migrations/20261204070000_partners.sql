-- The partner program: any user may become a partner and gets a referral code; an account that
-- signs up through a partner's link (`/?ref=CODE`, remembered for 60 days in a cookie) records
-- who referred it. (Commissions and payouts to partners come with their connected accounts.)

CREATE TABLE partners (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- What the referral link carries: 8 lower-case letters and digits.
    code       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partners_code_key UNIQUE (code),
    CONSTRAINT partners_code_format CHECK (code ~ '^[a-z0-9]{8}$')
);

-- Who referred the account (NULL: nobody, or the partner's account is gone). Never itself.
ALTER TABLE users
    ADD COLUMN referred_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD CONSTRAINT users_not_self_referred CHECK (referred_by IS DISTINCT FROM id);
CREATE INDEX users_referred_by ON users (referred_by) WHERE referred_by IS NOT NULL;
