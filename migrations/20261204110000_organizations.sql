-- Organizations: teams that subscribe together. Billing now belongs to a *billing account*, which
-- is either a person's own (personal billing, as before) or an organization's. A billing
-- account's id is its holder's id, so every existing row keeps its value: the billing tables'
-- `user_id` becomes `account_id`, referencing `billing_accounts`.

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    -- Who created it (the first owner); NULL once their account is gone.
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_name_length CHECK (char_length(name) BETWEEN 1 AND 80
                                                AND name = btrim(name))
);

-- Who pays: a person for themselves, or an organization. Exactly one holder, whose id it is.
CREATE TABLE billing_accounts (
    id              uuid PRIMARY KEY,
    user_id         uuid UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT billing_accounts_one_holder CHECK (num_nonnulls(user_id, organization_id) = 1),
    CONSTRAINT billing_accounts_id_is_holders CHECK (id = COALESCE(user_id, organization_id))
);
INSERT INTO billing_accounts (id, user_id) SELECT id, id FROM users;

-- Every user and organization has its billing account from the moment it exists.
CREATE FUNCTION open_billing_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        INSERT INTO billing_accounts (id, user_id) VALUES (NEW.id, NEW.id);
    ELSE
        INSERT INTO billing_accounts (id, organization_id) VALUES (NEW.id, NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER open_billing_account AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION open_billing_account();
CREATE TRIGGER open_billing_account AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION open_billing_account();

-- Members and their roles: an owner manages billing, members and deletion; an admin manages
-- members; a member uses what the organization's plan grants.
CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id),
    CONSTRAINT memberships_role_known CHECK (role IN ('owner', 'admin', 'member'))
);
CREATE INDEX memberships_user_id ON memberships (user_id);

-- An organization always has an owner: checked at commit, so ownership can move within a
-- transaction, and an organization being deleted (its rows cascading) is no exception.
CREATE FUNCTION check_organization_has_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM organizations WHERE id = OLD.organization_id)
       AND NOT EXISTS (SELECT 1 FROM memberships
                       WHERE organization_id = OLD.organization_id AND role = 'owner') THEN
        RAISE EXCEPTION 'organization % would have no owner', OLD.organization_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_one_owner';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER memberships_one_owner AFTER UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_organization_has_owner();

-- Invitations by email: the link carries a random token of which only the SHA-256 is kept; it
-- works once, for 7 days. A new invitation to the same address replaces the open one.
CREATE TABLE invitations (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL,
    role            text NOT NULL,
    token_hash      bytea NOT NULL,
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    accepted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at      timestamptz,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_role_known CHECK (role IN ('admin', 'member')),
    CONSTRAINT invitations_accepted_by_someone CHECK ((accepted_at IS NULL) = (accepted_by IS NULL))
);
CREATE UNIQUE INDEX invitations_one_open_per_address ON invitations (organization_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Billing rows belong to a billing account.
ALTER TABLE billing_customers RENAME COLUMN user_id TO account_id;
ALTER TABLE billing_customers DROP CONSTRAINT billing_customers_user_id_fkey,
    ADD CONSTRAINT billing_customers_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER TABLE subscriptions RENAME COLUMN user_id TO account_id;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_user_id_fkey,
    ADD CONSTRAINT subscriptions_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER INDEX subscriptions_user_id RENAME TO subscriptions_account_id;
ALTER TABLE purchases RENAME COLUMN user_id TO account_id;
ALTER TABLE purchases DROP CONSTRAINT purchases_user_id_fkey,
    ADD CONSTRAINT purchases_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER INDEX purchases_user_id RENAME TO purchases_account_id;
ALTER TABLE invoices RENAME COLUMN user_id TO account_id;
ALTER TABLE invoices DROP CONSTRAINT invoices_user_id_fkey,
    ADD CONSTRAINT invoices_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER INDEX invoices_user_id_created RENAME TO invoices_account_id_created;
ALTER TABLE billing_notifications RENAME COLUMN user_id TO account_id;
ALTER TABLE billing_notifications DROP CONSTRAINT billing_notifications_user_id_fkey,
    ADD CONSTRAINT billing_notifications_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER INDEX billing_notifications_user_id RENAME TO billing_notifications_account_id;
ALTER TABLE deleted_billing_customers RENAME COLUMN user_id TO account_id;
ALTER TABLE deleted_billing_customers DROP CONSTRAINT deleted_billing_customers_user_id_fkey,
    ADD CONSTRAINT deleted_billing_customers_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES billing_accounts (id) ON DELETE CASCADE;
ALTER INDEX deleted_billing_customers_user_id RENAME TO deleted_billing_customers_account_id;

-- Page caches hear of changes per person: a change to an organization's billing announces the
-- organization and each of its members (whose pages show it), as does a change of membership.
CREATE FUNCTION announce_billing_account(account uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    member uuid;
BEGIN
    IF account IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_notify('account_changed', account::text);
    FOR member IN SELECT user_id FROM memberships WHERE organization_id = account LOOP
        PERFORM pg_notify('account_changed', member::text);
    END LOOP;
END $$;

CREATE FUNCTION announce_billing_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM announce_billing_account((to_jsonb(OLD) ->> TG_ARGV[0])::uuid);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM announce_billing_account((to_jsonb(NEW) ->> TG_ARGV[0])::uuid);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER announce_change ON billing_customers;
DROP TRIGGER announce_change ON subscriptions;
DROP TRIGGER announce_change ON purchases;
DROP TRIGGER announce_change ON invoices;
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON billing_customers
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('account_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('account_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON purchases
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('account_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('account_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('organization_id');
CREATE TRIGGER announce_member AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION announce_account_change('user_id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('id');
CREATE TRIGGER announce_change AFTER INSERT OR UPDATE OR DELETE ON invitations
    FOR EACH ROW EXECUTE FUNCTION announce_billing_change('organization_id');

CREATE OR REPLACE FUNCTION announce_subscription_item_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM announce_billing_account(s.account_id)
    FROM subscriptions s
    WHERE s.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.subscription_id
                      ELSE NEW.subscription_id END;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_payment_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account uuid;
BEGIN
    IF TG_TABLE_NAME = 'stripe_disputes' THEN
        SELECT bc.account_id INTO account
        FROM stripe_charges c
        JOIN billing_customers bc ON bc.stripe_customer_id = c.stripe_customer_id
        WHERE c.id = NEW.charge_id;
    ELSE
        SELECT account_id INTO account
        FROM billing_customers WHERE stripe_customer_id = NEW.stripe_customer_id;
    END IF;
    PERFORM announce_billing_account(account);
    RETURN NULL;
END $$;

-- Seats: an organization on a per-seat price pays for as many seats as it has members. A change
-- of membership asks for the quantity to follow within a minute; changes in that minute ride
-- along (one subscription update, never one invoice per change).
CREATE TABLE seat_syncs (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    due_at          timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text
);
CREATE INDEX seat_syncs_due_at ON seat_syncs (due_at);

-- Each time the seats billed were found not to match the members (the nightly reconciliation,
-- or a sync that found Stripe changed behind our back), and what was done: the console lists them.
CREATE TABLE seat_drifts (
    id              bigserial PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subscription_id text NOT NULL,
    seats_billed    integer NOT NULL,
    members         integer NOT NULL,
    found_at        timestamptz NOT NULL DEFAULT now(),
    fixed_at        timestamptz,
    error           text
);
CREATE INDEX seat_drifts_found_at ON seat_drifts (found_at DESC);

-- Whom a billing account's mail goes to: the person, or the organization's longest-standing
-- owner.
CREATE VIEW billing_contacts AS
SELECT b.id AS account_id, COALESCE(u.email, owner.email) AS email
FROM billing_accounts b
LEFT JOIN users u ON u.id = b.user_id
LEFT JOIN LATERAL (
    SELECT ou.email FROM memberships m JOIN users ou ON ou.id = m.user_id
    WHERE m.organization_id = b.organization_id AND m.role = 'owner'
    ORDER BY m.joined_at, m.user_id LIMIT 1
) owner ON true;
