-- A plan change waiting for its invoice to be paid (Stripe's `pending_update`, from an update sent
-- with `payment_behavior=pending_if_incomplete`). The subscription's items stay as they are, so
-- nothing of the change is granted until Stripe applies it. Both null when nothing waits.
ALTER TABLE subscriptions
    -- The price the change moves the first item to (null if it leaves the prices alone).
    ADD COLUMN pending_price_id TEXT,
    -- When Stripe discards the change if its invoice is still unpaid.
    ADD COLUMN pending_update_expires_at TIMESTAMPTZ;
