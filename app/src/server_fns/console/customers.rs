//! The customer pages' data and canceling a customer's subscription.

use leptos::prelude::*;

use crate::{
    console_views::customers::{CustomerView, CustomersView},
    errors::FormError,
};

/// A page of customers, newest first, after `after`, matching `search`.
#[server(endpoint = "admin_customers")]
pub async fn admin_customers(
    search: Option<String>,
    after: Option<String>,
) -> Result<CustomersView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let rows = backend::console::customers::page(&state.db, search.as_deref(), after.as_deref())
        .await
        .step("reading a page of customers")?;
    Ok(crate::server_fns::console_mapping::customers::customers(
        &rows,
        search.as_deref().unwrap_or_default(),
    ))
}

/// One customer, by `cus_…`.
#[server(endpoint = "admin_customer")]
pub async fn admin_customer(id: String) -> Result<CustomerView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let mut conn = state.db.acquire().await.step("taking a connection")?;
    let mut customer = backend::console::customers::customer(&mut conn, &id)
        .await?
        .ok_or(FormError::NotFound)?;
    drop(conn);
    // Stripe's own list (older card sources too), if it answers at once; else what the mirror saw.
    let stripe = state.stripe.once_within(std::time::Duration::from_secs(2));
    match backend::console::customers::cards_in_stripe(&stripe, &id).await {
        Ok(cards) => customer.cards = cards,
        Err(error) => {
            tracing::warn!(error = %error, customer = %id, "listing the customer's cards in Stripe failed; showing the cards seen on payments");
        }
    }
    let mut view = crate::server_fns::console_mapping::customers::customer(&customer);
    // Its usage this period, as its own account page shows it.
    if let Some(account) = backend::billing::customers::owner(&state.db, &id)
        .await
        .step("finding the customer's account")?
    {
        let now = backend::billing::clock::now(&state).await;
        view.usage = backend::usage::overview(&state.db, account, now)
            .await?
            .iter()
            .map(crate::server_fns::usage_mapping::view)
            .map(|usage| {
                [Some(usage.sentence), Some(usage.resets), usage.projected]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
    }
    Ok(view)
}

/// Cancels a customer's subscription `now` or at `period_end`, then shows the customer.
#[server(endpoint = "admin_cancel_subscription")]
pub async fn admin_cancel_subscription(
    subscription: String,
    when: String,
    form_id: String,
) -> Result<(), FormError> {
    use backend::console::customers::{cancel, When};

    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    let when = When::parse(&when).ok_or(FormError::Field {
        field: "when".to_owned(),
        message: "Choose when it ends.".to_owned(),
    })?;
    let customer = cancel(&state, by, &subscription, when, &form_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::SubscriptionCanceledByAdmin.href_for(&customer));
    Ok(())
}
