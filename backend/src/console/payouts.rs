//! Payouts in the console: the balance and the payouts as mirrored, and a manual payout of the
//! available balance (or part of it). Above what is available Stripe refuses
//! (`balance_insufficient`); its words are shown and nothing is sent.

use secrecy::SecretString;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{
    actions::{self, Act, Ran, Requester},
    audit::Action,
    refetch::{self, Object},
    ConsoleError,
};
use crate::{
    billing::{money::Money, Step},
    stripe::payments::PayoutStatus,
    AppState,
};

/// Payouts per page.
pub const PAGE: i64 = 25;

/// One currency of the balance.
#[derive(Clone, Debug)]
pub struct BalanceLine {
    /// Can be paid out now.
    pub available: Money,
    /// Not yet.
    pub pending: Money,
}

/// The balance as last fetched, per currency.
pub async fn balance(db: impl PgExecutor<'_>) -> Result<Vec<BalanceLine>, sqlx::Error> {
    Ok(
        sqlx::query!("SELECT currency, available, pending FROM stripe_balance ORDER BY currency")
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|row| BalanceLine {
                available: Money::new(row.available, &row.currency),
                pending: Money::new(row.pending, &row.currency),
            })
            .collect(),
    )
}

/// A payout, as the page shows it.
#[derive(Clone, Debug)]
pub struct PayoutRow {
    /// `po_…`.
    pub id: String,
    /// How much.
    pub amount: Money,
    /// Where it is.
    pub status: Option<PayoutStatus>,
    /// When it arrives (arrived).
    pub arrival_date: OffsetDateTime,
    /// Why it failed.
    pub failure: Option<String>,
    /// Made by hand, not on the schedule.
    pub manual: bool,
    /// When it was made.
    pub created: OffsetDateTime,
}

/// A page of payouts, newest first, after the payout `after`.
pub async fn page(
    db: impl PgExecutor<'_>,
    after: Option<&str>,
) -> Result<Vec<PayoutRow>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT id, amount, currency, status, arrival_date, failure_code, failure_message,
               automatic, created
        FROM stripe_payouts
        WHERE $1::text IS NULL
           OR (created, id) < (SELECT created, id FROM stripe_payouts WHERE id = $1)
        ORDER BY created DESC, id DESC
        LIMIT $2
        "#,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| PayoutRow {
        amount: Money::new(row.amount, &row.currency),
        status: PayoutStatus::from_stored(&row.status),
        failure: match (row.failure_code, row.failure_message) {
            (_, Some(message)) => Some(message),
            (Some(code), None) => Some(code.replace('_', " ")),
            _ => None,
        },
        id: row.id,
        arrival_date: row.arrival_date,
        manual: !row.automatic,
        created: row.created,
    })
    .collect())
}

/// The payout form as submitted.
#[derive(Debug)]
pub struct PayoutForm {
    /// Lower-case ISO code.
    pub currency: String,
    /// What the admin typed; empty: the whole available balance in that currency.
    pub amount: String,
    /// Minted when the page was rendered: the same form submitted twice is one payout.
    pub form_id: String,
    /// The admin's password, when asked for.
    pub password: Option<SecretString>,
}

/// Pays out; what was paid out. Submitting the same form again sends nothing more.
#[tracing::instrument(skip(state, by, form), fields(currency = %form.currency, admin = %by.admin.email))]
pub async fn pay_out(
    state: &AppState,
    by: Requester<'_>,
    form: PayoutForm,
) -> Result<Money, ConsoleError> {
    let currency = form.currency.trim().to_ascii_lowercase();
    let available = balance(&state.db)
        .await
        .step("reading the balance")?
        .into_iter()
        .find(|line| line.available.currency == currency)
        .map(|line| line.available)
        .ok_or(ConsoleError::Invalid {
            field: "currency",
            message: "There is no balance in that currency.".to_owned(),
        })?;
    let amount = match form.amount.trim() {
        "" if available.minor > 0 => available.clone(),
        "" => return Err(ConsoleError::NotNow("Nothing is available to pay out yet.")),
        typed => Money::parse(typed, &currency).ok_or_else(|| ConsoleError::Invalid {
            field: "amount",
            message: format!(
                "Enter an amount like {}, or leave it empty to pay out everything available.",
                available.as_decimal()
            ),
        })?,
    };
    let act = Act {
        action: Action::Payout,
        object_id: &currency,
        amount: Some(amount.clone()),
        key: actions::key(
            Action::Payout,
            &currency,
            &form.form_id,
            &amount.minor.to_string(),
        )?,
        detail: None,
        moves_money: true,
        password: form.password,
    };
    let (minor, code) = (amount.minor, currency.as_str());
    let ran = actions::run(state, &by, act, |key| async move {
        state.stripe.create_payout(minor, code, &key).await
    })
    .await;
    match &ran {
        Ok(Ran::Done(payout)) => {
            refetch::after_action(&state.db, &state.stripe, Object::Payout(&payout.id)).await;
        }
        // The balance moved since it was last fetched, or the payout was made already.
        ran if actions::reached_stripe(ran) => {
            refetch::after_action(&state.db, &state.stripe, Object::Balance).await
        }
        _ => {}
    }
    ran.map(|_| amount)
}
