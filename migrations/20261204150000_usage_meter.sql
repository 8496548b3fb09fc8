-- Counting a use in one round trip: `usage_meter` locks the period's counter (creating it), splits
-- the use — the allowance first, then credit pack units, then overage — and, unless the overage
-- would pass the limit, raises the counter and logs the use with its billable part (the
-- overage). Called as a statement of its own, it holds the counter's lock only while it runs, so
-- one customer's concurrent calls queue for as little as possible. Credits are read only when
-- the allowance does not cover the use and the account has paid for a purchase (most never buy
-- a credit pack, and reading the packs is most of the statement's work), under the billing
-- account's row lock (a use in another period draws on the same packs); a use that draws on
-- them takes from the oldest pack first.
CREATE FUNCTION usage_meter(
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

-- Several uses of one account's meter in one round trip: each counted by `usage_meter` in turn,
-- in the order given (the n-th element of each array is one use), each seeing those before it.
-- A replica gathers the uses that queued while the previous round trip ran into one call.
CREATE FUNCTION usage_meter_many(
    account uuid, meter text, period_starts timestamptz[], period_ends timestamptz[],
    quantities bigint[], includeds bigint[], usage_limits bigint[], use_ids uuid[],
    occurred_ats timestamptz[]
) RETURNS TABLE (use_id uuid, counted boolean, used bigint, from_credits bigint, credits bigint)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(use_ids, 1), 0) LOOP
        RETURN QUERY
            SELECT use_ids[i], m.counted, m.used, m.from_credits, m.credits
            FROM usage_meter(account, meter, period_starts[i], period_ends[i], quantities[i],
                             includeds[i], usage_limits[i], use_ids[i], occurred_ats[i]) m;
    END LOOP;
END
$$;
