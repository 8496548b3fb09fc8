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

-- The units of `meter` an account's credit packs granted: paid purchases of products with
-- `credits`, not taken back.
CREATE FUNCTION usage_credits_granted(account uuid, meter text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(sum((p.metadata->>'credits')::bigint), 0)::bigint
    FROM purchases u
    JOIN stripe_products p ON p.id = u.product_id
    WHERE u.account_id = account AND u.status = 'paid'
      AND p.metadata->>'metered' = usage_credits_granted.meter AND p.metadata->>'credits' ~ '^[0-9]{1,12}$'
      AND purchase_taken_back(u.payment_intent_id) IS NULL
$$;

-- The units of `meter` an account's credits have paid for, over every period.
CREATE FUNCTION usage_credits_drawn(account uuid, meter text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(sum(from_credits), 0)::bigint
    FROM usage_counters c
    WHERE c.account_id = account AND c.meter = usage_credits_drawn.meter
$$;
