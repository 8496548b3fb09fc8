//! Free trials: who may have one, and the ledger that remembers who had one.
//!
//! One free trial per person, not per account: deleting the account and signing up again with
//! the same address, or paying with the same card on another account, earns no second one. The
//! `trial_ledger` table outlives accounts, so it holds no address and no card: each entry is an
//! HMAC-SHA256, under `TRIAL_LEDGER_KEY`, of a [normalised](normalised_address) address or of a
//! card's Stripe fingerprint. Entries are written when a stored subscription shows a trial
//! ([`settle`]), idempotently, on every path that stores one (the success page, webhooks,
//! `server stripe sync`), and when an account is deleted ([`remember_before_deletion`]).
//!
//! A trial without a card is offered only to a confirmed address (a made-up one could start
//! any number of them); an unconfirmed one may start its trial by giving a card.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use sqlx::{PgConnection, PgExecutor, PgPool};

use super::{subscriptions, BillingError, Step, SubscriptionStatus};
use crate::{
    auth::{self, EmailAddress, User},
    stripe::{objects::Subscription, Form, StripeClient},
    AppState,
};

/// What Checkout may offer a user with a price that has a trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// No trial: this account or its address had one; billing starts at once. (A card that had
    /// one is only seen once given: [`settle`] then ends the trial.)
    None,
    /// A trial, with a card given up front (an unconfirmed address, or
    /// `BILLING_TRIAL_REQUIRES_CARD=true`).
    WithCard,
    /// A trial without a card: the address is confirmed.
    WithoutCard,
}

impl Offer {
    /// Whether a trial is offered at all.
    pub fn has_trial(self) -> bool {
        self != Self::None
    }
}

/// The trial the payer may start now: none if the account had one, nor if the acting person's
/// address had one (one free trial per person, whether for themselves or a team).
pub async fn offer(state: &AppState, payer: &super::payer::Payer) -> Result<Offer, BillingError> {
    let user = &payer.actor;
    if subscriptions::had_trial(&state.db, payer.account_id())
        .await
        .step("checking whether the user had a trial")?
        || address_had_trial(&state.db, &state.config.trial_ledger_key, &user.email)
            .await
            .step("checking the trial ledger for the user's address")?
    {
        return Ok(Offer::None);
    }
    let confirmed = auth::users::email_verified(&state.db, user.id)
        .await
        .step("checking whether the user's address is confirmed")?;
    Ok(if confirmed && !state.config.billing_trial_requires_card {
        Offer::WithoutCard
    } else {
        Offer::WithCard
    })
}

/// What the ledger remembers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A normalised email address.
    Email,
    /// A card's Stripe fingerprint.
    Card,
}

impl Kind {
    /// As `trial_ledger.kind` spells it.
    fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Card => "card",
        }
    }
}

/// The address as one mailbox: already trimmed and lower-cased ([`EmailAddress`]), with any
/// `+tag` dropped (the common sub-address convention: `ada+2@…` reaches `ada@…`), and for Gmail
/// — which ignores dots and answers for `googlemail.com` too — without dots, at `gmail.com`.
/// Folding more (other providers' dot rules) would risk taking one person's trial for another's.
pub fn normalised_address(email: &EmailAddress) -> String {
    let (local, domain) = email
        .as_str()
        .rsplit_once('@')
        .unwrap_or((email.as_str(), ""));
    let local = local.split('+').next().unwrap_or(local);
    match domain {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

/// The ledger's digest of `value`: HMAC-SHA256 under the key, of the kind and the value.
fn digest(key: &SecretString, kind: Kind, value: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(kind.as_str().as_bytes());
    mac.update(b":");
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Whether the ledger remembers a trial for this address (whatever account had it).
pub async fn address_had_trial(
    db: impl PgExecutor<'_>,
    key: &SecretString,
    email: &EmailAddress,
) -> Result<bool, sqlx::Error> {
    let digest = digest(key, Kind::Email, &normalised_address(email));
    Ok(trial_of(db, Kind::Email, &digest).await?.is_some())
}

/// The subscription whose trial recorded this entry, if any.
async fn trial_of(
    db: impl PgExecutor<'_>,
    kind: Kind,
    digest: &[u8],
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT subscription_id FROM trial_ledger WHERE kind = $1 AND digest = $2",
        kind.as_str(),
        digest
    )
    .fetch_optional(db)
    .await
}

/// Remembers that `subscription_id`'s trial used this address or card (the first trial stays).
async fn remember(
    db: impl PgExecutor<'_>,
    kind: Kind,
    digest: &[u8],
    subscription_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO trial_ledger (kind, digest, subscription_id) VALUES ($1, $2, $3)
        ON CONFLICT (kind, digest) DO NOTHING
        "#,
        kind.as_str(),
        digest,
        subscription_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// After `subscription` was stored: if it has had a trial, the ledger remembers its owner's
/// address and — while the trial runs or is paused for a card — its card. An address or card
/// that had a trial on another subscription (a card used by another account, two checkouts
/// raced past the address check) ends this one's trial at once (`trial_end=now`), so the plan
/// starts paid, and the subscription is stored again (and returned). Each entry is checked and
/// written under its own lock, in a short transaction of its own; no connection is held while
/// Stripe answers (the card, ending the trial, the subscription after). Idempotent: a
/// subscription no longer trialing is not touched again, and the Stripe call carries a key
/// derived from what it does.
#[tracing::instrument(skip_all, fields(subscription = %subscription.id))]
pub async fn settle(
    db: &PgPool,
    stripe: &StripeClient,
    key: &SecretString,
    subscription: &Subscription,
) -> Result<Option<Subscription>, BillingError> {
    if subscription.trial_start.is_none() {
        return Ok(None);
    }
    let card = if subscription.status.in_trial() {
        subscriptions::card_of(stripe, subscription).await?
    } else {
        None
    };
    let mut tx = db
        .begin()
        .await
        .step("starting the transaction writing the trial ledger")?;
    let mut entries = Vec::new();
    let owner = sqlx::query_scalar!(
        r#"
        SELECT c.email AS "email!" FROM subscriptions s
        JOIN billing_contacts c ON c.account_id = s.account_id WHERE s.id = $1
        "#,
        subscription.id
    )
    .fetch_optional(&mut *tx)
    .await
    .step("finding the subscription owner's address")?;
    if let Some(email) = owner {
        let email = EmailAddress::from_stored(email);
        entries.push((
            Kind::Email,
            digest(key, Kind::Email, &normalised_address(&email)),
        ));
    }
    if let Some(fingerprint) = card.and_then(|card| card.fingerprint) {
        entries.push((Kind::Card, digest(key, Kind::Card, &fingerprint)));
    }
    let mut had_one_elsewhere = false;
    // Always the address before the card: two settles take the locks in the same order.
    for (kind, digest) in &entries {
        let lock = format!("trial-ledger-{}-{}", kind.as_str(), hex::encode(digest));
        super::lock_object(&mut tx, &lock)
            .await
            .step("locking the trial ledger entry")?;
        let earlier = trial_of(&mut *tx, *kind, digest)
            .await
            .step("reading the trial ledger")?;
        had_one_elsewhere |= earlier.is_some_and(|earlier| earlier != subscription.id);
        remember(&mut *tx, *kind, digest, &subscription.id)
            .await
            .step("writing the trial ledger")?;
    }
    tx.commit().await.step("committing the trial ledger")?;
    if !had_one_elsewhere || subscription.status != SubscriptionStatus::Trialing {
        return Ok(None);
    }
    tracing::info!(subscription = %subscription.id, "an address or card that had a free trial before: the trial ends now");
    let form = Form::new()
        .set("trial_end", "now")
        .set("proration_behavior", "none");
    stripe
        .update_subscription(
            &subscription.id,
            &form,
            &format!("tollgate-end-repeat-trial-{}", subscription.id),
        )
        .await
        .step("ending a repeated trial in Stripe")?;
    subscriptions::refresh_unheld(db, stripe, &subscription.id).await
}

/// Before `user`'s account is deleted (with its subscriptions): if any of them had a trial, the
/// address is remembered — also for a trial stored before the ledger existed.
pub async fn remember_before_deletion(
    conn: &mut PgConnection,
    key: &SecretString,
    user: &User,
) -> Result<(), sqlx::Error> {
    let trial = sqlx::query_scalar!(
        r#"
        SELECT id FROM subscriptions WHERE account_id = $1 AND trial_start IS NOT NULL
        ORDER BY created LIMIT 1
        "#,
        user.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(subscription_id) = trial {
        let digest = digest(key, Kind::Email, &normalised_address(&user.email));
        remember(conn, Kind::Email, &digest, &subscription_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(raw: &str) -> String {
        normalised_address(&EmailAddress::parse(raw, "email").unwrap())
    }

    #[test]
    fn an_address_is_one_mailbox_whatever_its_tag_case_or_gmail_dots() {
        assert_eq!(normalised(" Ada@Example.com "), "ada@example.com");
        assert_eq!(normalised("ada+trial2@example.com"), "ada@example.com");
        assert_eq!(normalised("a.d.a+x@GoogleMail.com"), "ada@gmail.com");
        assert_eq!(normalised("ada@gmail.com"), "ada@gmail.com");
        assert_eq!(
            normalised("a.da@example.com"),
            "a.da@example.com",
            "other providers' dots name other mailboxes"
        );
    }

    #[test]
    fn digests_depend_on_the_key_and_the_kind_and_never_contain_the_address() {
        let key = SecretString::from("k".repeat(32));
        let other_key = SecretString::from("o".repeat(32));
        let address = "ada@example.com";
        let digest_of = digest(&key, Kind::Email, address);
        assert_eq!(digest_of, digest(&key, Kind::Email, address));
        assert_ne!(digest_of, digest(&other_key, Kind::Email, address));
        assert_ne!(digest_of, digest(&key, Kind::Card, address));
        assert_eq!(digest_of.len(), 32);
        assert!(!digest_of.windows(3).any(|w| w == b"ada"));
    }
}
