//! Billing: the catalog mirrored from Stripe, each user's Stripe customer, Checkout, and applying
//! what Stripe tells us (webhooks, the success page, `server stripe sync`) to Postgres.
//!
//! Stripe is the source of truth. Whatever triggers a write — a webhook, the success page, a
//! re-sync — re-fetches the object from Stripe and stores what Stripe returns, never an event's
//! copy, under the object's advisory lock and only if no fetch that started later stored it
//! first ([`Ticket`]), so events arriving late, twice or out of order, or fetches finishing out
//! of order, cannot leave an older state. The webhook workers fetch before they lock, holding no
//! connection, and make the calls a change calls for after its commit ([`follow_ups`]); the
//! success page and the re-sync fetch under the lock.
//!
//! The one locking rule: every write of a Stripe object's rows happens in a transaction holding
//! that object's [`lock_object`], whoever writes — the Checkout Session's for applying a session
//! (the webhook and the success page alike), the subscription's for storing a subscription, the
//! customer's for its cards, the catalog's for products and prices.
//!
//! - [`catalog`]: products and prices — the SQL, and the [`Catalog`] the pricing page renders.
//! - [`cache`]: the in-memory catalog, invalidated on every replica through `LISTEN/NOTIFY`.
//! - [`sync`]: `server stripe sync`, the full re-sync; [`replay`]: `server stripe replay`;
//!   [`verify`]: `server stripe verify`, the comparison of Postgres with Stripe.
//! - [`seed`]: `server stripe seed`, the demo catalog created in Stripe.
//! - [`customers`]: one Stripe customer per user, created exactly once; [`waiting`]: the
//!   in-memory queue one user's requests take turns in first.
//! - [`checkout`]: starting a Checkout Session and applying a finished one.
//! - [`trials`]: who may have a free trial, and the ledger of who had one.
//! - [`follow_ups`]: the Stripe calls a stored change calls for, made after its commit.
//! - [`subscriptions`], [`invoices`], [`purchases`]: what users hold and were billed, as stored.
//! - [`manage`]: cancel, resume and change plan from the account page.
//! - [`paused`]: trials that ended without a card, resumed once one is added.
//! - [`entitlements`]: the features a user may use now.
//! - [`clock`]: billing time — Stripe's now (the emulator's, which time travel moves).
//! - [`notifications`]: the billing emails, each sent once.
//! - [`money`]: amounts, periods and dates in words.
//! - [`portal`]: customer portal sessions.
//! - [`time_travel`]: development only — moving the emulator's clock from the account page.
//! - [`inbox`]: receiving an event (signature, duplicate check, recorded to apply later);
//!   [`workers`]: applying recorded events, with retries; [`webhooks`]: applying one event.
//! - [`status`]: [`SubscriptionStatus`], Stripe's subscription statuses as a type.
//! - [`error`]: the error type, [`BillingError`], and [`Step`], naming the step that failed.

pub mod cache;
pub mod catalog;
pub mod checkout;
pub mod clock;
pub mod customers;
pub mod entitlements;
pub mod error;
pub mod follow_ups;
pub mod inbox;
pub mod invoices;
pub mod manage;
pub mod money;
pub mod notifications;
pub mod overview;
pub mod paused;
pub mod payer;
pub mod portal;
pub mod purchases;
pub mod replay;
pub mod scheduled;
pub mod seed;
pub mod status;
pub mod subscriptions;
pub mod sync;
pub mod time_travel;
pub mod trials;
pub mod verify;
pub mod waiting;
pub mod webhooks;
pub mod workers;

pub use cache::CatalogCache;
pub use catalog::Catalog;
pub use error::{BillingError, Step};
pub use status::SubscriptionStatus;

/// Takes a transaction-scoped advisory lock on a Stripe object id, so two writers of the same
/// object (a webhook and the success page, two deliveries) write one after the other.
pub(crate) async fn lock_object(
    conn: &mut sqlx::PgConnection,
    stripe_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        stripe_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A place in the order Stripe objects were fetched in: drawn *before* asking Stripe, so an
/// answer stored under a later ticket is at least as new as one under an earlier ticket
/// (see the `stripe_object_fetches` migration for why the last one stored is always right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(pub(crate) i64);

impl Ticket {
    /// Draws the next ticket.
    pub async fn draw(db: impl sqlx::PgExecutor<'_>) -> Result<Self, sqlx::Error> {
        sqlx::query_scalar!(r#"SELECT nextval('stripe_fetch_tickets') AS "ticket!""#)
            .fetch_one(db)
            .await
            .map(Self)
    }

    /// Whether what was fetched under this ticket may be stored for `object_id`: no later ticket
    /// stored it already. Records the ticket when it may. Call under the object's lock
    /// ([`lock_object`]), in the transaction that stores.
    pub async fn is_latest_for(
        self,
        conn: &mut sqlx::PgConnection,
        object_id: &str,
    ) -> Result<bool, sqlx::Error> {
        let stored = sqlx::query!(
            r#"
            INSERT INTO stripe_object_fetches (object_id, ticket) VALUES ($1, $2)
            ON CONFLICT (object_id) DO UPDATE SET ticket = EXCLUDED.ticket, stored_at = now()
            WHERE stripe_object_fetches.ticket < EXCLUDED.ticket
            "#,
            object_id,
            self.0
        )
        .execute(conn)
        .await?;
        Ok(stored.rows_affected() == 1)
    }
}
