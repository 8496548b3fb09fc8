-- Credit packs: a one-time product with metadata `credits=N` and `metered=NAME` grants N units
-- of that meter once paid (and for as long as it is not refunded or lost to a dispute). A use
-- past the plan's allowance draws on them before it counts as overage; each period's counter
-- keeps how much of its use the credits paid for.
ALTER TABLE usage_counters
    ADD COLUMN from_credits bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT usage_counters_credits_within_use CHECK (from_credits BETWEEN 0 AND used);

-- The part of each use Stripe bills: what is past the allowance and the credits (the overage).
-- Only that is sent as a meter event; a use with nothing billable is never sent.
ALTER TABLE usage_events ADD COLUMN billable bigint;
UPDATE usage_events SET billable = quantity;
ALTER TABLE usage_events
    ALTER COLUMN billable SET NOT NULL,
    ADD CONSTRAINT usage_events_billable_within_quantity CHECK (billable BETWEEN 0 AND quantity);
DROP INDEX usage_events_unreported;
CREATE INDEX usage_events_unreported ON usage_events (occurred_at)
    WHERE reported_at IS NULL AND billable > 0;

-- Credits are drawn from a particular pack — the oldest bought with units left — and each pack
-- keeps what was drawn from it, so taking a pack back (a refund, a lost dispute) removes only
-- what is left of that pack: the units it already paid for stay paid for, and a pack bought
-- later is not charged for them.
CREATE TABLE usage_credit_draws (
    purchase_id text PRIMARY KEY REFERENCES purchases (checkout_session_id) ON DELETE CASCADE,
    drawn bigint NOT NULL CHECK (drawn > 0)
);

-- Each credit pack of `meter` the account holds (paid, not taken back), oldest first, with the
-- units it has left.
CREATE FUNCTION usage_credit_packs(account uuid, meter text)
RETURNS TABLE (purchase_id text, units_left bigint)
LANGUAGE sql STABLE AS $$
    SELECT u.checkout_session_id, (p.metadata->>'credits')::bigint - COALESCE(d.drawn, 0)
    FROM purchases u
    JOIN stripe_products p ON p.id = u.product_id
    LEFT JOIN usage_credit_draws d ON d.purchase_id = u.checkout_session_id
    WHERE u.account_id = account AND u.status = 'paid'
      AND p.metadata->>'metered' = usage_credit_packs.meter
      AND p.metadata->>'credits' ~ '^[0-9]{1,12}$'
      AND purchase_taken_back(u.payment_intent_id) IS NULL
      AND (p.metadata->>'credits')::bigint > COALESCE(d.drawn, 0)
    ORDER BY u.purchased_at, u.checkout_session_id
$$;
