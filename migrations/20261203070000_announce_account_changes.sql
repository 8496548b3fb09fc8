-- Each replica keeps the signed-in pages it rendered in memory and drops a user's as soon as
-- anything they show may have changed (server/src/page_cache.rs). What tells every replica is
-- this: a change to any row that belongs to an account announces the account's id on channel
-- `account_changed`, and Postgres delivers it at commit, in commit order, to every replica's
-- listener (backend/src/account_changes.rs). A trigger rather than a call in the code: no
-- writer, today's or tomorrow's, can forget it. A transaction announces each account once
-- however many of its rows it changes (Postgres folds identical notifications).

-- For tables with a column naming the account (its name is the trigger's argument).
CREATE FUNCTION announce_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        account := to_jsonb(OLD) ->> TG_ARGV[0];
        IF account IS NOT NULL THEN
            PERFORM pg_notify('account_changed', account);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        account := to_jsonb(NEW) ->> TG_ARGV[0];
        IF account IS NOT NULL THEN
            PERFORM pg_notify('account_changed', account);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Subscription items name their subscription, which names the account.
CREATE FUNCTION announce_subscription_item_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account text;
BEGIN
    SELECT s.user_id::text INTO account
    FROM subscriptions s
    WHERE s.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.subscription_id
                      ELSE NEW.subscription_id END;
    IF account IS NOT NULL THEN
        PERFORM pg_notify('account_changed', account);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON tower_sessions.session
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON auth_tokens
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON billing_customers
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON subscription_items
    FOR EACH ROW EXECUTE FUNCTION announce_subscription_item_change();
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON purchases
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
