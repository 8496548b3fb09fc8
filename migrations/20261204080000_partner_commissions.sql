-- Partner commissions: each paid invoice of a referred account earns its partner a share, for a
-- number of months after the account first subscribed, recorded once per invoice (the invoice's
-- id is the key) in the transaction that stores the paid invoice. A commission becomes payable
-- once its hold (the refund window) has passed.
CREATE TABLE partner_commissions (
    invoice_id          text PRIMARY KEY,             -- in_…
    partner_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    referred_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    currency            text NOT NULL,
    -- What the invoice brought in, and the partner's share of it (minor units).
    invoice_amount_paid bigint NOT NULL,
    amount              bigint NOT NULL,
    -- When the hold ends (billing time).
    payable_at          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partner_commissions_amount_positive CHECK (amount > 0)
);
CREATE INDEX partner_commissions_partner ON partner_commissions (partner_id, payable_at);
