-- Money taken back takes back what it bought: a one-time purchase whose payment was refunded in
-- full, or lost to a dispute, no longer grants its features (a partial refund changes nothing).
-- The purchase's payment is found through its PaymentIntent (`purchases.payment_intent_id`,
-- recorded from the Checkout Session) in the console's mirror of charges and disputes.

-- 'dispute_lost' or 'refunded' when the payment was taken back, else NULL.
CREATE FUNCTION purchase_taken_back(payment_intent text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN bool_or(d.status = 'lost') THEN 'dispute_lost'
        WHEN bool_or(c.refunded) THEN 'refunded'
    END
    FROM stripe_charges c
    LEFT JOIN stripe_disputes d ON d.charge_id = c.id
    WHERE c.payment_intent_id = payment_intent AND c.status = 'succeeded'
$$;

-- How much of the payment was refunded (0 when nothing was, or it is not mirrored).
CREATE FUNCTION purchase_refunded(payment_intent text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(sum(amount_refunded), 0)::bigint
    FROM stripe_charges
    WHERE payment_intent_id = payment_intent AND status = 'succeeded'
$$;

-- A refund or a dispute changes what the paying account holds: announce it to every replica's
-- page cache, as a change to the account's own rows is (`announce_account_change`).
CREATE FUNCTION announce_payment_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account text;
BEGIN
    IF TG_TABLE_NAME = 'stripe_disputes' THEN
        SELECT bc.user_id::text INTO account
        FROM stripe_charges c
        JOIN billing_customers bc ON bc.stripe_customer_id = c.stripe_customer_id
        WHERE c.id = NEW.charge_id;
    ELSE
        SELECT user_id::text INTO account
        FROM billing_customers WHERE stripe_customer_id = NEW.stripe_customer_id;
    END IF;
    IF account IS NOT NULL THEN
        PERFORM pg_notify('account_changed', account);
    END IF;
    RETURN NULL;
END $$;

-- Only when what a purchase grants may change: every fetch rewrites the row (its `synced_at`),
-- and announcing each would throw away the account's cached pages for nothing.
CREATE TRIGGER announce_change AFTER INSERT ON stripe_charges
    FOR EACH ROW EXECUTE FUNCTION announce_payment_change();
CREATE TRIGGER announce_refund AFTER UPDATE OF refunded, amount_refunded, status ON stripe_charges
    FOR EACH ROW
    WHEN (OLD.refunded IS DISTINCT FROM NEW.refunded
          OR OLD.amount_refunded IS DISTINCT FROM NEW.amount_refunded
          OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION announce_payment_change();
CREATE TRIGGER announce_change AFTER INSERT ON stripe_disputes
    FOR EACH ROW EXECUTE FUNCTION announce_payment_change();
CREATE TRIGGER announce_decision AFTER UPDATE OF status ON stripe_disputes
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION announce_payment_change();
