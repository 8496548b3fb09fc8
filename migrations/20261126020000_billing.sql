-- Billing I: the catalog mirrored from Stripe, each user's Stripe customer, subscriptions as
-- Stripe last described them, one-time purchases, and the webhook events received.
-- Stripe is the source of truth; these rows are a copy kept current by webhooks and
-- `server stripe sync`, and are always overwritten with what Stripe returns on a fresh fetch.

-- Products as the pricing page needs them. Deleted in Stripe → deleted here (prices cascade).
CREATE TABLE stripe_products (
    id                 text PRIMARY KEY,              -- prod_…
    active             boolean NOT NULL,
    name               text NOT NULL,
    description        text,
    images             text[] NOT NULL DEFAULT '{}',
    -- Stripe's `marketing_features[].name`, in order: the pricing card's bullet list.
    marketing_features text[] NOT NULL DEFAULT '{}',
    metadata           jsonb NOT NULL DEFAULT '{}',
    -- `metadata.index` when it is an integer: the card's position (lowest first, unset last).
    sort_order         integer,
    synced_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stripe_prices (
    id                text PRIMARY KEY,               -- price_…
    product_id        text NOT NULL REFERENCES stripe_products (id) ON DELETE CASCADE,
    active            boolean NOT NULL,
    currency          text NOT NULL,                  -- lower-case ISO 4217
    -- In the currency's minor unit (cents; zero-decimal currencies such as JPY have none).
    -- NULL for prices without a fixed amount, which the pricing page does not show.
    unit_amount       bigint,
    kind              text NOT NULL,
    -- Recurring prices only.
    recurring_interval text,
    interval_count    integer,
    trial_period_days integer,
    lookup_key        text,
    nickname          text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    synced_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_prices_kind_known CHECK (kind IN ('one_time', 'recurring')),
    CONSTRAINT stripe_prices_recurring_has_interval CHECK (
        (kind = 'recurring') = (recurring_interval IS NOT NULL AND interval_count IS NOT NULL)
    ),
    CONSTRAINT stripe_prices_interval_known CHECK (recurring_interval IN ('day', 'week', 'month', 'year'))
);
CREATE INDEX stripe_prices_product_id ON stripe_prices (product_id);

-- One Stripe customer per user, created at most once: the primary key makes a second row
-- impossible, and it is created under an advisory lock on the user with an idempotency key.
CREATE TABLE billing_customers (
    user_id            uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    stripe_customer_id text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_customers_stripe_customer_id_key UNIQUE (stripe_customer_id)
);

-- Subscriptions as Stripe last returned them. A user may hold several.
CREATE TABLE subscriptions (
    id                   text PRIMARY KEY,            -- sub_…
    user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stripe_customer_id   text NOT NULL,
    status               text NOT NULL,
    cancel_at_period_end boolean NOT NULL,
    cancel_at            timestamptz,
    canceled_at          timestamptz,
    ended_at             timestamptz,
    trial_start          timestamptz,
    trial_end            timestamptz,
    created              timestamptz NOT NULL,
    synced_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_status_known CHECK (status IN (
        'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled',
        'unpaid', 'paused'
    ))
);
CREATE INDEX subscriptions_user_id ON subscriptions (user_id);

-- The prices a subscription bills. Since Stripe's 2025-03-31 API the billing period lives here,
-- on the item, not on the subscription. No foreign key to stripe_prices: a subscription may be on
-- a price the catalog no longer lists.
CREATE TABLE subscription_items (
    id                   text PRIMARY KEY,            -- si_…
    subscription_id      text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    price_id             text NOT NULL,
    product_id           text NOT NULL,
    quantity             integer NOT NULL,
    current_period_start timestamptz NOT NULL,
    current_period_end   timestamptz NOT NULL
);
CREATE INDEX subscription_items_subscription_id ON subscription_items (subscription_id);

-- One-time purchases (Checkout in `payment` mode), one row per Checkout Session.
CREATE TABLE purchases (
    checkout_session_id text PRIMARY KEY,             -- cs_…
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    price_id            text NOT NULL,
    product_id          text NOT NULL,
    description         text NOT NULL,
    amount              bigint NOT NULL,
    currency            text NOT NULL,
    -- `pending` while an asynchronous payment method (a bank debit) is still processing; `failed`
    -- when it did not go through (nothing was bought).
    status              text NOT NULL,
    purchased_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT purchases_status_known CHECK (status IN ('paid', 'pending', 'failed'))
);
CREATE INDEX purchases_user_id ON purchases (user_id);

-- Every webhook event received: the duplicate check (an event applied once is never applied
-- again) and an audit log. A failed application keeps `error` and no `applied_at`, so Stripe's
-- retry of it is applied.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY,                     -- evt_…
    type        text NOT NULL,
    object_id   text,
    created     timestamptz NOT NULL,                 -- when Stripe created the event
    received_at timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 1,
    applied_at  timestamptz,
    error       text
);
CREATE INDEX stripe_events_received_at ON stripe_events (received_at);
