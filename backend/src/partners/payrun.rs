//! The pay run (`server partners pay`, and daily in the background on one replica at a time):
//! first recover what refunds and lost disputes took back from commissions already paid
//! (transfer reversals), then move everything payable to each partner's connected account — one
//! Transfer per partner and currency, in the `transfer_group` naming the period (the run's day).
//!
//! Money never moves twice: each attempt is written (with its commissions) before Stripe is
//! called, under an idempotency key naming the partner, currency, period and attempt; a run
//! that finds an attempt unfinished sends the same key again. Stripe's refusal (insufficient
//! funds) marks the attempt failed and releases its commissions for the next run; a network
//! failure leaves it for the next run to settle.

use std::fmt::Write as _;

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::accounts;
use crate::{
    billing::{money::Money, BillingError, Step},
    stripe::StripeClient,
};

/// The advisory lock that lets one pay run go at a time, across replicas.
const PAY_RUN_LOCK: &str = "tollgate-partner-pay-run";

/// What started a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The daily background run.
    Schedule,
    /// `server partners pay`.
    Command,
}

impl Trigger {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Command => "command",
        }
    }
}

/// One partner's payable commissions in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payable {
    /// The partner.
    pub partner: Uuid,
    /// Their account's email.
    pub email: String,
    /// What is payable now (commissions past their hold, less what was taken back).
    pub amount: Money,
    /// How many commissions make it.
    pub commissions: i64,
    /// Their connected account (`acct_…`), if they connected one.
    pub account: Option<String>,
    /// Why it cannot be transferred now; `None` when it can.
    pub blocked: Option<String>,
}

/// What the next run would do, as of `now`: every partner with something payable, and whether
/// it can be paid.
pub async fn plan(db: &PgPool, now: OffsetDateTime) -> Result<Vec<Payable>, BillingError> {
    let rows = sqlx::query!(
        r#"
        SELECT c.partner_id, u.email, c.currency,
               sum(c.amount - c.amount_taken_back)::bigint AS "amount!",
               count(*) AS "commissions!",
               a.stripe_account_id AS "account?",
               a.transfers_active AS "transfers_active?",
               a.requirements_due AS "requirements_due?",
               a.deauthorized_at IS NOT NULL AS "disconnected?"
        FROM partner_commissions c
        JOIN users u ON u.id = c.partner_id
        LEFT JOIN partner_accounts a ON a.partner_id = c.partner_id
        WHERE c.payable_at <= $1 AND c.transfer_id IS NULL AND c.amount > c.amount_taken_back
        GROUP BY c.partner_id, u.email, c.currency, a.partner_id
        ORDER BY u.email, c.currency
        "#,
        now,
    )
    .fetch_all(db)
    .await
    .step("adding up what is payable")?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let blocked = match &row.account {
                None => Some("the partner has not connected a Stripe account".to_owned()),
                Some(_) => accounts::why_not_payable(
                    row.disconnected.unwrap_or(false),
                    row.transfers_active.unwrap_or(false),
                    row.requirements_due.as_deref().unwrap_or_default(),
                ),
            };
            Payable {
                partner: row.partner_id,
                email: row.email,
                amount: Money::new(row.amount, &row.currency),
                commissions: row.commissions,
                account: row.account,
                blocked,
            }
        })
        .collect())
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Another run held the lock: this one did nothing.
    pub already_running: bool,
    /// Transfers made: partner email, amount, `tr_…`.
    pub paid: Vec<(String, Money, String)>,
    /// Partners skipped, and why.
    pub skipped: Vec<(String, Money, String)>,
    /// Transfers Stripe refused (nothing marked paid; the next run tries again), and its words.
    pub refused: Vec<(String, Money, String)>,
    /// Transfers whose outcome is unknown (Stripe did not answer): the next run settles them.
    pub unsettled: Vec<(String, Money)>,
    /// Reversals made: `tr_…`, amount.
    pub reversed: Vec<(String, Money)>,
    /// Reversals Stripe refused or that failed, and why.
    pub reversals_failed: Vec<(String, Money, String)>,
}

impl Report {
    /// The run in a few lines, for the operator (the command's output, the console).
    pub fn summary(&self) -> String {
        if self.already_running {
            return "Another pay run is in progress; nothing was done.".to_owned();
        }
        let mut text = String::new();
        for (email, amount, transfer) in &self.paid {
            let _ = writeln!(text, "paid {email}: {} ({transfer})", amount.in_words());
        }
        for (email, amount, why) in &self.skipped {
            let _ = writeln!(text, "skipped {email}: {} — {why}", amount.in_words());
        }
        for (email, amount, why) in &self.refused {
            let _ = writeln!(
                text,
                "NOT paid {email}: {} — Stripe refused: {why} Nothing was marked paid; the next run tries again.",
                amount.in_words()
            );
        }
        for (email, amount) in &self.unsettled {
            let _ = writeln!(
                text,
                "unsettled {email}: {} — Stripe did not answer; the next run settles it.",
                amount.in_words()
            );
        }
        for (transfer, amount) in &self.reversed {
            let _ = writeln!(text, "reversed {} of {transfer}", amount.in_words());
        }
        for (transfer, amount, why) in &self.reversals_failed {
            let _ = writeln!(
                text,
                "reversal of {} from {transfer} failed: {why}",
                amount.in_words()
            );
        }
        if text.is_empty() {
            text.push_str("Nothing to pay or recover.\n");
        }
        text
    }
}

/// Runs the pay run for the period `now` falls in (its day, UTC), unless another is running.
#[tracing::instrument(skip(db, stripe), fields(period))]
pub async fn run(
    db: &PgPool,
    stripe: &StripeClient,
    now: OffsetDateTime,
    trigger: Trigger,
) -> Result<Report, BillingError> {
    let period = now.date();
    tracing::Span::current().record("period", tracing::field::display(period));
    // A session-level lock on a connection of its own, held for the whole run.
    let outcome = crate::jobs::run_locked(
        db,
        PAY_RUN_LOCK,
        run_locked(db, stripe, now, period, trigger),
    )
    .await?;
    Ok(outcome.unwrap_or(Report {
        already_running: true,
        ..Report::default()
    }))
}

async fn run_locked(
    db: &PgPool,
    stripe: &StripeClient,
    now: OffsetDateTime,
    period: Date,
    trigger: Trigger,
) -> Result<Report, BillingError> {
    let run_id = sqlx::query_scalar!(
        "INSERT INTO partner_pay_runs (period, trigger) VALUES ($1, $2) RETURNING id",
        period,
        trigger.as_str(),
    )
    .fetch_one(db)
    .await
    .step("recording the pay run")?;
    let mut report = Report::default();
    super::takebacks::recover_pending(db, stripe, &mut report).await?;
    // Attempts a crashed or cut-off run left unsettled go first, with their own keys.
    let unsettled = sqlx::query!(
        "SELECT id FROM partner_transfers WHERE status = 'pending' ORDER BY created_at"
    )
    .fetch_all(db)
    .await
    .step("listing unsettled transfers")?;
    for row in unsettled {
        super::transfers::settle(db, stripe, row.id, &mut report).await?;
    }
    for payable in plan(db, now).await? {
        if let Some(why) = payable.blocked {
            tracing::info!(partner = %payable.partner, %why, "partner skipped");
            report.skipped.push((payable.email, payable.amount, why));
            continue;
        }
        if let Some(attempt) =
            super::transfers::prepare(db, payable.partner, &payable.amount.currency, period, now)
                .await?
        {
            super::transfers::settle(db, stripe, attempt, &mut report).await?;
        }
    }
    sqlx::query!(
        "UPDATE partner_pay_runs SET finished_at = now(), summary = $2 WHERE id = $1",
        run_id,
        report.summary(),
    )
    .execute(db)
    .await
    .step("recording the pay run's outcome")?;
    Ok(report)
}

/// The newest runs: when, what started it, what it did.
pub async fn recent_runs(
    db: &PgPool,
    limit: i64,
) -> Result<Vec<(OffsetDateTime, &'static str, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT started_at, trigger, COALESCE(summary, 'still running, or stopped before it finished') AS "summary!"
        FROM partner_pay_runs ORDER BY started_at DESC LIMIT $1
        "#,
        limit
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| {
        let trigger = if row.trigger == "command" { "server partners pay" } else { "daily run" };
        (row.started_at, trigger, row.summary)
    })
    .collect())
}

/// Runs the pay run now (billing time: the emulator's clock in development).
pub async fn run_now(state: &crate::AppState, trigger: Trigger) -> Result<Report, BillingError> {
    let now = crate::billing::clock::now(state).await;
    run(&state.db, &state.stripe, now, trigger).await
}

/// How often each replica checks whether today's scheduled run has happened.
const DAILY_CHECK: std::time::Duration = std::time::Duration::from_secs(3600);

/// The daily pay run: each replica checks every hour whether today's scheduled run finished,
/// and runs it if not (the lock lets one replica run at a time; the keys make a second run of
/// the day pay nothing twice). Runs until the process ends.
pub async fn daily(state: crate::AppState) {
    use tracing::Instrument;
    loop {
        let now = crate::billing::clock::now(&state).await;
        let done = sqlx::query_scalar!(
            r#"
            SELECT EXISTS (SELECT 1 FROM partner_pay_runs
                           WHERE period = $1 AND trigger = 'schedule' AND finished_at IS NOT NULL)
                AS "done!"
            "#,
            now.date()
        )
        .fetch_one(&state.db)
        .await;
        match done {
            Ok(true) => {}
            Ok(false) => {
                let ran = run(&state.db, &state.stripe, now, Trigger::Schedule)
                    .instrument(tracing::info_span!("daily partner pay run"))
                    .await;
                match ran {
                    Ok(report) if report.already_running => {}
                    Ok(report) => {
                        tracing::info!(summary = %report.summary(), "partner pay run finished")
                    }
                    Err(error) => {
                        tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "the partner pay run failed; the next check tries again");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not check for today's partner pay run"),
        }
        tokio::time::sleep(DAILY_CHECK).await;
    }
}
