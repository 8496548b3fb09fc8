-- How a recurring price bills: `licensed` (a fixed amount per period) or `metered` (per unit of
-- usage reported to a meter). Metered prices are never offered on the pricing page or at Checkout.
-- Prices stored before this column are taken as licensed (the only kind the demo catalog has);
-- `server stripe sync` stores the real value.
ALTER TABLE stripe_prices ADD COLUMN usage_type text;
UPDATE stripe_prices SET usage_type = 'licensed' WHERE kind = 'recurring';
ALTER TABLE stripe_prices
    ADD CONSTRAINT stripe_prices_usage_type_known CHECK (usage_type IN ('licensed', 'metered')),
    ADD CONSTRAINT stripe_prices_recurring_has_usage_type CHECK ((kind = 'recurring') = (usage_type IS NOT NULL));
