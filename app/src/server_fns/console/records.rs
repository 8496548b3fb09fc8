//! The record pages' data: balance transactions, the webhook inbox, one event, and applying a
//! failed event again. (The CSV export is the server's `GET /admin/balance/export`.)

use leptos::prelude::*;

use crate::{
    console_views::records::{EventView, EventsView, LedgerView},
    errors::FormError,
};

/// A page of balance transactions, newest first, after `after`, of Stripe type `kind`.
#[server(endpoint = "admin_balance_transactions")]
pub async fn admin_balance_transactions(
    kind: Option<String>,
    after: Option<String>,
) -> Result<LedgerView, FormError> {
    use backend::{billing::Step, console::ledger};

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let kind = kind.filter(|kind| !kind.is_empty());
    let rows = ledger::page(&state.db, kind.as_deref(), after.as_deref())
        .await
        .step("reading a page of balance transactions")?;
    let kinds = ledger::kinds(&state.db)
        .await
        .step("listing the transaction types")?;
    let today = backend::billing::clock::now(&state).await;
    Ok(crate::server_fns::console_mapping::records::ledger(
        &rows,
        kinds,
        kind.as_deref().unwrap_or_default(),
        today,
    ))
}

/// A page of the webhook inbox, newest first, after `after`; only failing events with
/// `failing`; `kind` matches the type's beginning.
#[server(endpoint = "admin_events")]
pub async fn admin_events(
    failing: Option<String>,
    kind: Option<String>,
    after: Option<String>,
) -> Result<EventsView, FormError> {
    use backend::{
        billing::Step,
        console::events::{self, Filter},
    };

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let failing = failing.is_some_and(|value| !value.is_empty());
    let filter = if failing {
        Filter::Failing
    } else {
        Filter::All
    };
    let rows = events::page(&state.db, filter, kind.as_deref(), after.as_deref())
        .await
        .step("reading a page of events")?;
    Ok(crate::server_fns::console_mapping::records::events(
        &rows,
        failing,
        kind.as_deref().unwrap_or_default(),
    ))
}

/// One event and its payload.
#[server(endpoint = "admin_event")]
pub async fn admin_event(id: String) -> Result<EventView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let (event, payload) = backend::console::events::event(&state.db, &id)
        .await
        .step("reading the event")?
        .ok_or(FormError::NotFound)?;
    Ok(crate::server_fns::console_mapping::records::event(
        &event,
        payload.as_ref(),
    ))
}

/// Queues a failed event to be applied again, then shows it.
#[server(endpoint = "reapply_event")]
pub async fn reapply_event(event: String) -> Result<(), FormError> {
    let (_, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    backend::console::events::reapply(&state, &admin, &event).await?;
    leptos_axum::redirect(&crate::notice::Notice::EventQueued.href_for(&event));
    Ok(())
}

/// The partners, what their links brought and what they earned.
#[server(endpoint = "admin_partners")]
pub async fn admin_partners() -> Result<crate::console_views::PartnersView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let now = backend::billing::clock::now(&state).await;
    let partners = backend::partners::commissions::partners(&state.db, now)
        .await
        .step("listing the partners")?;
    let plan = backend::partners::payrun::plan(&state.db, now).await?;
    let commissions = backend::partners::commissions::ledger(&state.db, None, now, 50)
        .await
        .step("listing the commissions")?;
    let transfers = backend::partners::transfers::list(&state.db, None, 50)
        .await
        .step("listing the transfers")?;
    let runs = backend::partners::payrun::recent_runs(&state.db, 10)
        .await
        .step("listing the pay runs")?;
    let date = backend::billing::money::format_date;
    Ok(crate::console_views::PartnersView {
        rows: partners
            .into_iter()
            .map(|partner| {
                let earned = if partner.earned.is_empty() {
                    "Nothing yet".to_owned()
                } else {
                    partner
                        .earned
                        .iter()
                        .map(|line| {
                            format!(
                                "{} held, {} payable, {} paid, {} taken back",
                                line.held, line.payable, line.paid, line.taken_back
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                let account = partner
                    .account
                    .unwrap_or_else(|| "Not connected".to_owned());
                (
                    partner.email,
                    partner.code,
                    partner.signups,
                    earned,
                    account,
                )
            })
            .collect(),
        plan: plan
            .into_iter()
            .map(|line| {
                let what = line.blocked.unwrap_or_else(|| {
                    format!("will be transferred ({} commissions)", line.commissions)
                });
                (line.email, line.amount.in_words(), what)
            })
            .collect(),
        commissions: commissions
            .into_iter()
            .map(|line| {
                (
                    line.email,
                    line.invoice_id,
                    line.invoice_amount.in_words(),
                    line.amount.in_words(),
                    line.taken_back.in_words(),
                    line.state.in_words().to_owned(),
                )
            })
            .collect(),
        transfers: transfers
            .into_iter()
            .map(|line| crate::console_views::TransferRow {
                date: date(line.created_at),
                email: line.email,
                amount: line.amount.in_words(),
                reversed: line.reversed.in_words(),
                status: line.status.as_str().to_owned(),
                detail: line.stripe_transfer_id.or(line.failure).unwrap_or_default(),
            })
            .collect(),
        runs: runs
            .into_iter()
            .map(|(at, trigger, summary)| (date(at), trigger.to_owned(), summary))
            .collect(),
    })
}
