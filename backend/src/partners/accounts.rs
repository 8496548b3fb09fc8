//! A partner's connected Stripe account: connecting it (Stripe's hosted onboarding through an
//! Account Link, or the app's own form for a custom account: the individual, Stripe's terms
//! accepted from the partner's address, a bank account from a `btok_…` token), keeping its
//! status as Stripe reports it, its payout schedule, and its own balance and payouts, read and
//! made with `Stripe-Account`.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use super::PartnerError;
use crate::{
    billing::{money::Money, Step},
    stripe::{
        connect::{Account, NewAccount, NewBankAccount, PayoutInterval, PlatformOnboarding},
        payments::Payout,
    },
    AppState,
};

/// How partners connect their account (`PARTNER_ONBOARDING`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Onboarding {
    /// Stripe's hosted onboarding (the default): Stripe collects what it needs.
    Hosted,
    /// The app's own form, for a custom account.
    Platform,
}

impl Onboarding {
    /// As configured and stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hosted => "hosted",
            Self::Platform => "platform",
        }
    }
}

impl std::str::FromStr for Onboarding {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "hosted" => Ok(Self::Hosted),
            "platform" => Ok(Self::Platform),
            other => Err(format!("expected hosted or platform, not {other:?}")),
        }
    }
}

/// Where a partner's connected account stands, as Stripe last reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedAccount {
    /// `acct_…`.
    pub stripe_account_id: String,
    /// Whether Stripe has what onboarding asks.
    pub details_submitted: bool,
    /// Whether Stripe pays its balance out.
    pub payouts_enabled: bool,
    /// Whether transfers can be made to it.
    pub transfers_active: bool,
    /// What Stripe still needs now.
    pub requirements_due: Vec<String>,
    /// Why Stripe disabled it, if it did.
    pub disabled_reason: Option<String>,
    /// Its payout schedule.
    pub payout_interval: PayoutInterval,
    /// `STRIPE TEST BANK ••••6789`, once it has a bank account.
    pub bank: Option<String>,
    /// Whether the partner disconnected it from the platform.
    pub disconnected: bool,
}

impl ConnectedAccount {
    /// Why the pay run cannot transfer to it yet, in words; `None` when it can.
    pub fn why_not_payable(&self) -> Option<String> {
        why_not_payable(
            self.disconnected,
            self.transfers_active,
            &self.requirements_due,
        )
    }
}

/// Why the pay run cannot transfer to an account in this state, in words; `None` when it can.
pub fn why_not_payable(
    disconnected: bool,
    transfers_active: bool,
    requirements_due: &[String],
) -> Option<String> {
    if disconnected {
        return Some("the partner disconnected their Stripe account".to_owned());
    }
    if transfers_active {
        return None;
    }
    Some(if requirements_due.is_empty() {
        "their Stripe account cannot receive transfers yet".to_owned()
    } else {
        format!(
            "their Stripe account cannot receive transfers until they provide: {}",
            requirements_due.join(", ")
        )
    })
}

/// `partner`'s connected account, if they connected one.
pub async fn of_partner(
    db: impl PgExecutor<'_>,
    partner: Uuid,
) -> Result<Option<ConnectedAccount>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT stripe_account_id, details_submitted, payouts_enabled, transfers_active,
               requirements_due, disabled_reason, payout_interval, bank_name, bank_last4,
               deauthorized_at IS NOT NULL AS "disconnected!"
        FROM partner_accounts WHERE partner_id = $1
        "#,
        partner
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| ConnectedAccount {
        stripe_account_id: row.stripe_account_id,
        details_submitted: row.details_submitted,
        payouts_enabled: row.payouts_enabled,
        transfers_active: row.transfers_active,
        requirements_due: row.requirements_due,
        disabled_reason: row.disabled_reason,
        payout_interval: PayoutInterval::from_stored(&row.payout_interval)
            .unwrap_or(PayoutInterval::Daily),
        bank: row.bank_last4.map(|last4| {
            format!(
                "{} ••••{last4}",
                row.bank_name.as_deref().unwrap_or("Bank account")
            )
        }),
        disconnected: row.disconnected,
    }))
}

/// Stores what Stripe says of a connected account we know (others are ignored: not ours).
/// Whether it was one of ours.
pub async fn store(db: impl PgExecutor<'_>, account: &Account) -> Result<bool, sqlx::Error> {
    let bank = account.bank_account();
    let stored = sqlx::query!(
        r#"
        UPDATE partner_accounts
        SET details_submitted = $2, charges_enabled = $3, payouts_enabled = $4,
            transfers_active = $5, requirements_due = $6, disabled_reason = $7,
            payout_interval = $8, bank_name = $9, bank_last4 = $10, synced_at = now()
        WHERE stripe_account_id = $1
        "#,
        account.id,
        account.details_submitted,
        account.charges_enabled,
        account.payouts_enabled,
        account.takes_transfers(),
        account.currently_due(),
        account
            .requirements
            .as_ref()
            .and_then(|requirements| requirements.disabled_reason.as_deref()),
        account.payout_interval().as_str(),
        bank.and_then(|bank| bank.bank_name.as_deref()),
        bank.map(|bank| bank.last4.as_str()),
    )
    .execute(db)
    .await?;
    Ok(stored.rows_affected() == 1)
}

/// The partner disconnected `account` from the platform: no more transfers to it.
pub async fn disconnected(conn: &mut PgConnection, account: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE partner_accounts SET deauthorized_at = COALESCE(deauthorized_at, now()), \
         transfers_active = false, synced_at = now() WHERE stripe_account_id = $1",
        account
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Fetches `partner`'s account from Stripe and stores it: what a return from onboarding shows
/// at once, before Stripe's `account.updated` arrives.
pub async fn refresh(state: &AppState, partner: Uuid) -> Result<(), PartnerError> {
    let Some(account) = of_partner(&state.db, partner)
        .await
        .step("reading the partner's connected account")?
    else {
        return Ok(());
    };
    let account = state
        .stripe
        .account(&account.stripe_account_id)
        .await
        .step("fetching the connected account")?;
    store(&state.db, &account)
        .await
        .step("storing the connected account")?;
    Ok(())
}

/// The Stripe account of `partner`, created for `onboarding` if they have none yet (the key
/// is the partner: two clicks make one account), and recorded.
async fn account_id(
    state: &AppState,
    partner: Uuid,
    email: &str,
    onboarding: Onboarding,
    platform: Option<&PlatformOnboarding<'_>>,
) -> Result<String, PartnerError> {
    // One of the partner's clicks at a time on this replica: a second finds the first's account.
    let _turn = state.turns.take(format!("partner_account:{partner}")).await;
    if let Some(known) = of_partner(&state.db, partner)
        .await
        .step("reading the partner's connected account")?
    {
        return Ok(known.stripe_account_id);
    }
    if super::of_user(&state.db, partner)
        .await
        .step("reading the partner")?
        .is_none()
    {
        return Err(PartnerError::NotFound);
    }
    let new = NewAccount {
        email,
        country: "US",
        user: partner,
    };
    // Keyed by the partner and, for the app's own form, who they said they are: the same details
    // sent twice make one account, and details Stripe refused can be corrected (a key is bound
    // to its first parameters).
    let details = platform.map_or_else(String::new, |form| {
        let fingerprint = crate::stripe::Form::new()
            .set("first_name", form.first_name)
            .set("last_name", form.last_name)
            .set("dob", form.dob)
            .fingerprint();
        format!("-{fingerprint}")
    });
    let key = format!(
        "tollgate-partner-account-{}-{partner}{details}",
        onboarding.as_str()
    );
    let created = match platform {
        Some(form) => state.stripe.create_platform_account(&new, form, &key).await,
        None => state.stripe.create_hosted_account(&new, &key).await,
    }
    .map_err(|error| PartnerError::from_stripe(error, "creating the connected account"))?;
    let mut conn = state
        .db
        .acquire()
        .await
        .step("taking a connection to record the account")?;
    sqlx::query!(
        r#"
        INSERT INTO partner_accounts (partner_id, stripe_account_id, onboarding)
        VALUES ($1, $2, $3)
        ON CONFLICT (partner_id) DO NOTHING
        "#,
        partner,
        created.id,
        onboarding.as_str(),
    )
    .execute(&mut *conn)
    .await
    .step("recording the connected account")?;
    store(&mut *conn, &created)
        .await
        .step("storing the new account's status")?;
    Ok(created.id)
}

/// Where to send `partner` to onboard with Stripe: a fresh Account Link (links work once and
/// expire within minutes, so one is made per click), returning to `/partners/onboarding/return`
/// and coming back through `/partners/onboarding/refresh` for a new one.
pub async fn hosted_onboarding_link(
    state: &AppState,
    partner: Uuid,
    email: &str,
) -> Result<String, PartnerError> {
    let account = account_id(state, partner, email, Onboarding::Hosted, None).await?;
    // As Checkout's return URLs are built.
    let base = state.config.base_url.as_str().trim_end_matches('/');
    let link = state
        .stripe
        .account_link(
            &account,
            &format!("{base}/partners/onboarding/refresh"),
            &format!("{base}/partners/onboarding/return"),
            &format!("tollgate-account-link-{account}-{}", Uuid::new_v4()),
        )
        .await
        .step("creating the onboarding link")?;
    Ok(link.url)
}

/// What the app's own onboarding form collected.
#[derive(Clone, Debug)]
pub struct PlatformForm {
    /// Legal first name.
    pub first_name: String,
    /// Legal last name.
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub dob: String,
    /// The bank's routing number.
    pub routing_number: String,
    /// The account number.
    pub account_number: String,
    /// Whether the partner ticked "I agree to the Stripe Connected Account Agreement".
    pub accepted_terms: bool,
}

/// Connects a custom account from the app's own form: the individual, Stripe's terms accepted
/// now from `ip` (the partner's address), and the bank account as the account's external
/// account, from a token. A second submission (a bank account refused the first time) adds
/// only the bank account.
pub async fn connect_with_form(
    state: &AppState,
    partner: Uuid,
    email: &str,
    form: &PlatformForm,
    ip: std::net::IpAddr,
    now: OffsetDateTime,
) -> Result<(), PartnerError> {
    let first_name = required("first_name", &form.first_name)?;
    let last_name = required("last_name", &form.last_name)?;
    let dob = time::Date::parse(
        form.dob.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| invalid("dob", "Enter your date of birth."))?;
    if dob.year() < 1900 || now.date().year() - dob.year() < 18 {
        return Err(invalid("dob", "You must be at least 18 to be paid."));
    }
    let routing_number = required("routing_number", &form.routing_number)?;
    let account_number = required("account_number", &form.account_number)?;
    if !form.accepted_terms {
        return Err(invalid(
            "accepted_terms",
            "Agree to the Stripe Connected Account Agreement to be paid.",
        ));
    }
    let ip = ip.to_string();
    let onboarding = PlatformOnboarding {
        first_name,
        last_name,
        dob,
        tos_date: now.unix_timestamp(),
        tos_ip: &ip,
        product_description: "Refers customers to the platform for a commission",
    };
    let account = account_id(
        state,
        partner,
        email,
        Onboarding::Platform,
        Some(&onboarding),
    )
    .await?;
    let bank = NewBankAccount {
        country: "US",
        currency: "usd",
        holder_name: &format!("{first_name} {last_name}"),
        routing_number,
        account_number,
    };
    // Keyed by what is added: the same details submitted twice make one token and one account.
    let fingerprint = crate::stripe::Form::new()
        .set("routing", routing_number)
        .set("account", account_number)
        .fingerprint();
    let token = state
        .stripe
        .bank_account_token(
            &bank,
            &format!("tollgate-bank-token-{account}-{fingerprint}"),
        )
        .await
        .map_err(|error| PartnerError::from_stripe(error, "tokenising the bank account"))?;
    state
        .stripe
        .add_external_account(
            &account,
            &token.id,
            &format!("tollgate-bank-{account}-{fingerprint}"),
        )
        .await
        .map_err(|error| PartnerError::from_stripe(error, "adding the bank account"))?;
    refresh(state, partner).await
}

fn required<'a>(field: &'static str, value: &'a str) -> Result<&'a str, PartnerError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 100 {
        return Err(invalid(field, "Fill this in."));
    }
    Ok(value)
}

fn invalid(field: &'static str, message: &str) -> PartnerError {
    PartnerError::Invalid {
        field,
        message: message.to_owned(),
    }
}

/// Sets how often Stripe pays `partner`'s balance out, then stores what Stripe says.
pub async fn set_payout_interval(
    state: &AppState,
    partner: Uuid,
    interval: PayoutInterval,
) -> Result<(), PartnerError> {
    let account = connected(state, partner).await?;
    let updated = state
        .stripe
        .set_payout_interval(
            &account.stripe_account_id,
            interval,
            &format!(
                "tollgate-payout-schedule-{}-{}",
                account.stripe_account_id,
                Uuid::new_v4()
            ),
        )
        .await
        .map_err(|error| PartnerError::from_stripe(error, "setting the payout schedule"))?;
    store(&state.db, &updated)
        .await
        .step("storing the payout schedule")?;
    Ok(())
}

/// `partner`'s connected account, or not found.
async fn connected(state: &AppState, partner: Uuid) -> Result<ConnectedAccount, PartnerError> {
    of_partner(&state.db, partner)
        .await
        .step("reading the partner's connected account")?
        .ok_or(PartnerError::NotFound)
}

/// A connected account's own money, read from Stripe with `Stripe-Account`.
#[derive(Clone, Debug)]
pub struct AccountMoney {
    /// Available to pay out now, per currency.
    pub available: Vec<Money>,
    /// On its way, per currency.
    pub pending: Vec<Money>,
    /// The newest payouts to the bank.
    pub payouts: Vec<Payout>,
}

/// `partner`'s balance and newest payouts, live from Stripe (a short budget: the page shows
/// without them when Stripe is slow).
pub async fn money(state: &AppState, partner: Uuid) -> Result<AccountMoney, PartnerError> {
    let account = connected(state, partner).await?;
    let stripe = state
        .stripe
        .once_within(std::time::Duration::from_secs(3))
        .for_account(&account.stripe_account_id);
    // Both at once: the page waits for the slower, not for the two in turn.
    let (balance, payouts) = tokio::join!(stripe.balance(), stripe.recent_payouts(10));
    let balance = balance.step("reading the connected account's balance")?;
    let payouts = payouts.step("listing the connected account's payouts")?;
    let amounts = |lines: &[crate::stripe::payments::BalanceAmount]| {
        lines
            .iter()
            .map(|line| Money::new(line.amount, &line.currency))
            .collect()
    };
    Ok(AccountMoney {
        available: amounts(&balance.available),
        pending: amounts(&balance.pending),
        payouts,
    })
}

/// Pays `partner`'s whole available balance in `currency` out to their bank now — only on a
/// manual schedule (otherwise Stripe does it). `form_id` (minted with the page) keys the call:
/// a double click pays once.
pub async fn pay_out_now(
    state: &AppState,
    partner: Uuid,
    currency: &str,
    form_id: Uuid,
) -> Result<Payout, PartnerError> {
    let account = connected(state, partner).await?;
    if account.payout_interval != PayoutInterval::Manual {
        return Err(PartnerError::NotNow(
            "Stripe pays your balance out on your schedule; choose a manual schedule to pay out yourself.",
        ));
    }
    let stripe = state.stripe.for_account(&account.stripe_account_id);
    let balance = stripe
        .balance()
        .await
        .step("reading the connected account's balance")?;
    let available = balance
        .available
        .iter()
        .find(|line| line.currency == currency)
        .map_or(0, |line| line.amount);
    if available <= 0 {
        return Err(PartnerError::NotNow(
            "There is nothing available to pay out.",
        ));
    }
    let payout = stripe
        .create_payout(
            available,
            currency,
            &format!(
                "tollgate-partner-payout-{}-{form_id}",
                account.stripe_account_id
            ),
        )
        .await
        .map_err(|error| PartnerError::from_stripe(error, "paying the balance out"))?;
    Ok(payout.object)
}
