-- Credits are drawn from a particular pack — the oldest bought with units left — and each pack
-- keeps what was drawn from it, so taking a pack back (a refund, a lost dispute) removes only
-- what is left of that pack: the units it already paid for stay paid for, and a pack bought
-- later is not charged for them (an account-wide "granted less drawn" would be).
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

-- What was drawn so far, given to the packs in the order they were bought (each up to its size).
INSERT INTO usage_credit_draws (purchase_id, drawn)
SELECT id, least(credits, total - before)
FROM (
    SELECT u.checkout_session_id AS id, (p.metadata->>'credits')::bigint AS credits,
           COALESCE(sum((p.metadata->>'credits')::bigint) OVER (
               PARTITION BY u.account_id, p.metadata->>'metered'
               ORDER BY u.purchased_at, u.checkout_session_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
           usage_credits_drawn(u.account_id, p.metadata->>'metered') AS total
    FROM purchases u
    JOIN stripe_products p ON p.id = u.product_id
    WHERE u.status = 'paid' AND p.metadata->>'metered' IS NOT NULL
      AND p.metadata->>'credits' ~ '^[0-9]{1,12}$'
) pack
WHERE total > before AND credits > 0;

-- As before, but the credits left are the held packs' units left, and a use that draws on them
-- takes from the oldest pack first.
CREATE OR REPLACE FUNCTION usage_meter(
    account uuid, meter text, period_start timestamptz, period_end timestamptz,
    quantity bigint, included bigint, usage_limit bigint, use_id uuid, occurred_at timestamptz
) RETURNS TABLE (counted boolean, used bigint, from_credits bigint, credits bigint)
LANGUAGE plpgsql AS $$
DECLARE
    before_used bigint;
    before_from_credits bigint;
    plan_used bigint;
    from_allowance bigint;
    credits_left bigint := 0;
    drawn bigint := 0;
    to_draw bigint;
    billable bigint;
    pack record;
BEGIN
    INSERT INTO usage_counters AS c (account_id, meter, period_start, period_end, used)
    VALUES (account, meter, period_start, period_end, 0)
    ON CONFLICT ON CONSTRAINT usage_counters_pkey DO UPDATE SET used = c.used
    RETURNING c.used, c.from_credits INTO before_used, before_from_credits;
    plan_used := before_used - before_from_credits;
    from_allowance := least(quantity, greatest(included - plan_used, 0));
    IF from_allowance < quantity
       AND EXISTS (SELECT 1 FROM purchases p WHERE p.account_id = account AND p.status = 'paid')
    THEN
        PERFORM 1 FROM billing_accounts WHERE id = account FOR NO KEY UPDATE;
        SELECT COALESCE(sum(units_left), 0) INTO credits_left
        FROM usage_credit_packs(account, meter);
        drawn := least(quantity - from_allowance, credits_left);
    END IF;
    billable := quantity - from_allowance - drawn;
    IF usage_limit IS NOT NULL AND plan_used + from_allowance + billable > usage_limit THEN
        RETURN QUERY SELECT false, before_used, before_from_credits, credits_left;
        RETURN;
    END IF;
    to_draw := drawn;
    IF to_draw > 0 THEN
        FOR pack IN SELECT * FROM usage_credit_packs(account, meter) LOOP
            INSERT INTO usage_credit_draws AS d (purchase_id, drawn)
            VALUES (pack.purchase_id, least(to_draw, pack.units_left))
            ON CONFLICT ON CONSTRAINT usage_credit_draws_pkey
            DO UPDATE SET drawn = d.drawn + EXCLUDED.drawn;
            to_draw := to_draw - least(to_draw, pack.units_left);
            EXIT WHEN to_draw = 0;
        END LOOP;
    END IF;
    UPDATE usage_counters AS c
    SET used = c.used + quantity, from_credits = c.from_credits + drawn
    WHERE c.account_id = account AND c.meter = usage_meter.meter
      AND c.period_start = usage_meter.period_start;
    INSERT INTO usage_events (id, account_id, meter, quantity, billable, occurred_at)
    VALUES (use_id, account, meter, quantity, billable, usage_meter.occurred_at);
    RETURN QUERY SELECT true, before_used + quantity, before_from_credits + drawn,
                        credits_left - drawn;
END
$$;

-- The account-wide sums the packs replace.
DROP FUNCTION usage_credits_granted(uuid, text);
DROP FUNCTION usage_credits_drawn(uuid, text);
