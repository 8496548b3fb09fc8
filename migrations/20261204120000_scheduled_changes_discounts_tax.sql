-- Plan changes at renewal, discounts and tax, as Stripe last returned them.

-- A subscription a schedule manages (a downgrade set for the period end): the schedule, and the
-- price and quantity its next phase moves to, from when. NULL: nothing scheduled.
ALTER TABLE subscriptions
    ADD COLUMN schedule_id text,
    ADD COLUMN scheduled_price_id text,
    ADD COLUMN scheduled_quantity integer,
    ADD COLUMN scheduled_at timestamptz,
    -- The discount on it (a coupon or a promotion code's): the coupon's name and what it takes
    -- off (a percentage, or an amount in `discount_currency`), until when (NULL: forever).
    ADD COLUMN discount_name text,
    ADD COLUMN discount_percent_off double precision,
    ADD COLUMN discount_amount_off bigint,
    ADD COLUMN discount_currency text,
    ADD COLUMN discount_ends_at timestamptz,
    ADD CONSTRAINT subscriptions_scheduled_whole CHECK (
        (scheduled_price_id IS NULL) = (scheduled_at IS NULL)
    );

-- What an invoice took off (discounts) and added (tax), in its currency's minor unit.
ALTER TABLE invoices
    ADD COLUMN discount bigint NOT NULL DEFAULT 0,
    ADD COLUMN tax bigint NOT NULL DEFAULT 0;

-- Whether a price's amount includes tax (`inclusive`), has it added (`exclusive`), or does not
-- say (`unspecified`): the pricing page says which.
ALTER TABLE stripe_prices ADD COLUMN tax_behavior text;
