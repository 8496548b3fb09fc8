//! `server stripe contract`: checks that a Stripe account behaves as Tollgate expects, through
//! the app's own Stripe client — the calls the app makes, in the order a customer's life makes
//! them, each answer checked. Everything it creates is named with a run id and removed at the end
//! (the test clock with its customer, the other customer; products and prices archived), whether
//! the steps passed or not. Test mode only: a live key is refused before any call.

use std::{future::Future, time::Duration};

use anyhow::bail;
use backend::billing::{manage, SubscriptionStatus};
use backend::stripe::{
    objects::{Price, Subscription},
    Form, StripeClient, StripeConfig, StripeError,
};

/// How long an advancing test clock may take to read `ready`.
const CLOCK_PATIENCE: Duration = Duration::from_secs(180);
/// The trial the paused-trial steps start (the clock then moves past its end).
const TRIAL_DAYS: i64 = 7;
/// Where the portal session returns; Stripe only checks that it is a URL.
const RETURN_URL: &str = "https://tollgate.example.com/account";

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// Stripe refused the call, or could not be reached.
    #[error("{}", describe(.0))]
    Stripe(Box<StripeError>),
    /// Stripe answered, but not what Tollgate relies on.
    #[error("expected {expected}, Stripe answered {found}")]
    Unexpected { expected: String, found: String },
}

impl From<StripeError> for Failure {
    fn from(error: StripeError) -> Self {
        Self::Stripe(Box::new(error))
    }
}

/// `Err(Unexpected)` unless `found == expected`.
fn expect<T: PartialEq + std::fmt::Debug>(
    what: &str,
    found: T,
    expected: T,
) -> Result<(), Failure> {
    if found == expected {
        return Ok(());
    }
    Err(Failure::Unexpected {
        expected: format!("{what} {expected:?}"),
        found: format!("{found:?}"),
    })
}

/// Stripe's error with its code and parameter, or the network failure with its cause.
fn describe(error: &StripeError) -> String {
    match error {
        StripeError::Api { error: api, .. } => {
            let mut text = error.to_string();
            if let Some(code) = &api.code {
                text.push_str(&format!(" [code {code}]"));
            }
            if let Some(param) = &api.param {
                text.push_str(&format!(" [param {param}]"));
            }
            text
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// What this run created, for the clean-up.
#[derive(Debug, Default)]
struct Made {
    products: Vec<String>,
    prices: Vec<String>,
    /// Customers not on the test clock (deleted one by one).
    customers: Vec<String>,
    clock: Option<String>,
}

/// One run: the client, its id (in every name, lookup key and idempotency key) and what it made.
struct Run {
    stripe: StripeClient,
    id: String,
    made: Made,
}

/// The catalog a run seeds.
struct Catalog {
    basic_monthly: Price,
    pro_monthly: Price,
}

/// Runs the scenario against the configured Stripe, then cleans up. Fails (exit 1) at the first
/// step Stripe does not pass.
pub async fn run(config: &StripeConfig) -> anyhow::Result<()> {
    if config.is_live() {
        bail!(
            "refusing to run with a live-mode key: the contract creates customers and charges \
             cards, which with a live key is real money. Use a test-mode key (sk_test_…)"
        );
    }
    let id = format!(
        "{}{}",
        time::OffsetDateTime::now_utc().unix_timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    println!(
        "Checking that the Stripe account at {} behaves as Tollgate expects (run {id})",
        config.api_base
    );
    let mut run = Run {
        stripe: StripeClient::new(config),
        id,
        made: Made::default(),
    };
    let outcome = scenario(&mut run).await;
    let cleaned = clean_up(&run).await;
    match outcome {
        Err(step) => bail!("the contract failed at `{step}` (Stripe's answer is above)"),
        Ok(()) if !cleaned => bail!("the contract passed, but its clean-up did not (see above)"),
        Ok(()) => {
            println!("Stripe behaves as Tollgate expects.");
            Ok(())
        }
    }
}

/// Runs `work` as the step `name`: one line, `ok   …` or `FAIL …: why`. The step's name on
/// failure.
async fn step<T>(
    name: &'static str,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, &'static str> {
    match work.await {
        Ok(value) => {
            println!("ok   {name}");
            Ok(value)
        }
        Err(failure) => {
            println!("FAIL {name}: {failure}");
            Err(name)
        }
    }
}

async fn scenario(run: &mut Run) -> Result<(), &'static str> {
    let started = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    let catalog = step("seed a catalog", seed(run)).await?;
    let customer = step("create a customer", create_customer(run, None)).await?;
    let paid = step(
        "subscribe with pm_card_visa",
        subscribe_paid(run, &customer, &catalog.basic_monthly),
    )
    .await?;
    let trial = step(
        "start a trial without a card on a test clock",
        start_trial(run, &catalog.pro_monthly),
    )
    .await?;
    step(
        "advance the test clock past the trial's end",
        advance_past(run, trial.trial_end.unwrap_or_default()),
    )
    .await?;
    step(
        "the trial is paused",
        has_status(run, &trial.id, SubscriptionStatus::Paused),
    )
    .await?;
    step(
        "add a card to the paused trial's customer",
        add_default_card(run, &trial.customer),
    )
    .await?;
    step("resume a paused trial", resume(run, &trial.id)).await?;
    let preview = step(
        "preview a plan change",
        preview_change(run, &paid, &catalog.pro_monthly),
    )
    .await?;
    step(
        "change plan, billed as previewed",
        change_plan(run, &paid, &catalog.pro_monthly, &preview),
    )
    .await?;
    step(
        "cancel at period end",
        set_cancel_at_period_end(run, &paid.id, true),
    )
    .await?;
    step(
        "undo the cancellation",
        set_cancel_at_period_end(run, &paid.id, false),
    )
    .await?;
    step(
        "open the billing portal on the card form",
        open_portal(run, &customer),
    )
    .await?;
    step(
        "list the events of the run",
        events_of(run, started, &[&paid.id, &trial.id]),
    )
    .await?;
    Ok(())
}

impl Run {
    /// An idempotency key for one call of this run.
    fn key(&self, call: &str) -> String {
        format!("tollgate-contract-{}-{call}", self.id)
    }
}

/// Two products (Basic, Pro) and three prices, all named with the run id.
async fn seed(run: &mut Run) -> Result<Catalog, Failure> {
    let mut prices = Vec::new();
    for (plan, amounts) in [
        ("basic", &[("month", 900)][..]),
        ("pro", &[("month", 1900), ("year", 19000)][..]),
    ] {
        let form = Form::new()
            .set("name", format!("Tollgate contract {} {plan}", run.id))
            .set("metadata[tollgate_contract]", &run.id);
        let product = run
            .stripe
            .create_product(&form, &run.key(&format!("product-{plan}")))
            .await?;
        run.made.products.push(product.id.clone());
        expect("a new product active", product.active, true)?;
        for (interval, amount) in amounts {
            let lookup_key = format!("tollgate_contract_{}_{plan}_{interval}ly", run.id);
            let form = Form::new()
                .set("product", &product.id)
                .set("currency", "usd")
                .set("unit_amount", amount)
                .set("recurring[interval]", interval)
                .set("lookup_key", &lookup_key)
                .set("metadata[tollgate_contract]", &run.id);
            let price = run
                .stripe
                .create_price(&form, &run.key(&format!("price-{lookup_key}")))
                .await?;
            run.made.prices.push(price.id.clone());
            expect("the amount", price.unit_amount, Some(*amount))?;
            prices.push(price);
        }
    }
    let keys: Vec<String> = prices
        .iter()
        .filter_map(|price| price.lookup_key.clone())
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found = run.stripe.prices_by_lookup_key(&keys).await?;
    expect("prices found by lookup key", found.len(), prices.len())?;
    let mut prices = prices.into_iter();
    let basic_monthly = prices.next().expect("seeded above");
    let pro_monthly = prices.next().expect("seeded above");
    Ok(Catalog {
        basic_monthly,
        pro_monthly,
    })
}

/// A customer of this run, on `clock` if given (deleted with it), else remembered for deletion.
async fn create_customer(run: &mut Run, clock: Option<&str>) -> Result<String, Failure> {
    let name = if clock.is_some() { "trial" } else { "paid" };
    let form = Form::new()
        .set("email", format!("contract-{}-{name}@example.com", run.id))
        .set("name", format!("Tollgate contract {} {name}", run.id))
        .set("metadata[tollgate_contract]", &run.id)
        .set_some("test_clock", clock);
    let customer = run
        .stripe
        .create_customer(&form, &run.key(&format!("customer-{name}")))
        .await?;
    if clock.is_none() {
        run.made.customers.push(customer.id.clone());
    }
    Ok(customer.id)
}

/// Attaches a new test Visa to `customer` and makes it the default for its invoices.
async fn add_default_card(run: &Run, customer: &str) -> Result<String, Failure> {
    let card = run
        .stripe
        .attach_payment_method(
            "pm_card_visa",
            customer,
            &run.key(&format!("card-{customer}")),
        )
        .await?;
    expect(
        "the card's customer",
        card.customer.as_deref(),
        Some(customer),
    )?;
    let form = Form::new().set("invoice_settings[default_payment_method]", &card.id);
    run.stripe
        .update_customer(
            customer,
            &form,
            &run.key(&format!("default-card-{customer}")),
        )
        .await?;
    Ok(card.id)
}

/// A subscription to `price` paid at once with a test Visa.
async fn subscribe_paid(run: &Run, customer: &str, price: &Price) -> Result<Subscription, Failure> {
    let card = add_default_card(run, customer).await?;
    let form = Form::new()
        .set("customer", customer)
        .set("items[0][price]", &price.id)
        .set("default_payment_method", &card);
    let subscription = run
        .stripe
        .create_subscription(&form, &run.key("subscription-paid"))
        .await?;
    expect("status", subscription.status, SubscriptionStatus::Active)?;
    Ok(subscription)
}

/// A test clock at now, a customer on it without a card, and a trial of `price` that pauses
/// when it ends without one.
async fn start_trial(run: &mut Run, price: &Price) -> Result<Subscription, Failure> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let clock = run
        .stripe
        .create_test_clock(
            now,
            &format!("Tollgate contract {}", run.id),
            &run.key("clock"),
        )
        .await?;
    run.made.clock = Some(clock.id.clone());
    let customer = create_customer(run, Some(&clock.id)).await?;
    let form = Form::new()
        .set("customer", &customer)
        .set("items[0][price]", &price.id)
        .set("trial_period_days", TRIAL_DAYS)
        .set(
            "trial_settings[end_behavior][missing_payment_method]",
            "pause",
        );
    let subscription = run
        .stripe
        .create_subscription(&form, &run.key("subscription-trial"))
        .await?;
    expect("status", subscription.status, SubscriptionStatus::Trialing)?;
    if subscription.trial_end.is_none() {
        return Err(Failure::Unexpected {
            expected: "a trial_end".into(),
            found: "none".into(),
        });
    }
    Ok(subscription)
}

/// Moves the run's clock an hour past `moment` and waits until it reads `ready`.
async fn advance_past(run: &Run, moment: i64) -> Result<(), Failure> {
    let clock = run.made.clock.as_deref().expect("the trial made a clock");
    run.stripe
        .advance_test_clock(clock, moment + 3600, &run.key("advance"))
        .await?;
    let deadline = tokio::time::Instant::now() + CLOCK_PATIENCE;
    loop {
        let now = run.stripe.test_clock(clock).await?;
        if now.is_ready() {
            return expect("the clock's time", now.frozen_time, moment + 3600);
        }
        if now.status != "advancing" || tokio::time::Instant::now() > deadline {
            return Err(Failure::Unexpected {
                expected: format!("the clock `ready` within {CLOCK_PATIENCE:?}"),
                found: format!("`{}`", now.status),
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn has_status(
    run: &Run,
    subscription: &str,
    status: SubscriptionStatus,
) -> Result<(), Failure> {
    let found = run.stripe.subscription(subscription).await?;
    expect("status", found.status, status)
}

/// Resumes the paused trial as the app does once a card is added; it is billed and active.
async fn resume(run: &Run, subscription: &str) -> Result<(), Failure> {
    let resumed = run
        .stripe
        .resume_subscription(subscription, &run.key("resume"))
        .await?;
    expect("status", resumed.status, SubscriptionStatus::Active)?;
    has_status(run, subscription, SubscriptionStatus::Active).await
}

/// The proration preview of swapping `paid`'s price for `price`, made as the account page makes
/// it. `(proration_date, total)`.
async fn preview_change(
    run: &Run,
    paid: &Subscription,
    price: &Price,
) -> Result<(i64, i64), Failure> {
    let item = &paid.items.data[0];
    let proration_date = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .clamp(item.current_period_start, item.current_period_end);
    let form = Form::new()
        .set("customer", &paid.customer)
        .set("subscription", &paid.id)
        .set("subscription_details[items][0][id]", &item.id)
        .set("subscription_details[items][0][price]", &price.id)
        .set("subscription_details[proration_behavior]", "always_invoice")
        .set("subscription_details[proration_date]", proration_date);
    let invoice = run.stripe.preview_invoice(&form).await?;
    expect("the preview's currency", invoice.currency.as_str(), "usd")?;
    if invoice.total <= 0 {
        return Err(Failure::Unexpected {
            expected: "an upgrade to cost something now".into(),
            found: format!("a total of {}", invoice.total),
        });
    }
    Ok((proration_date, invoice.total))
}

/// Swaps the price as the account page does, and checks the invoice it made bills the preview.
async fn change_plan(
    run: &Run,
    paid: &Subscription,
    price: &Price,
    &(proration_date, previewed): &(i64, i64),
) -> Result<(), Failure> {
    let form = manage::change_request(&paid.items.data[0].id, &price.id, proration_date);
    let changed = run
        .stripe
        .update_subscription(&paid.id, &form, &run.key("change"))
        .await?;
    let now_on: Vec<&str> = changed
        .items
        .data
        .iter()
        .map(|item| item.price.id.as_str())
        .collect();
    expect("the prices", now_on, vec![price.id.as_str()])?;
    expect(
        "a change left waiting",
        changed.pending_update.is_some(),
        false,
    )?;
    let Some(invoice) = changed.latest_invoice.as_deref() else {
        return Err(Failure::Unexpected {
            expected: "an invoice for the change".into(),
            found: "none".into(),
        });
    };
    let invoice = run.stripe.invoice(invoice).await?;
    expect("the change's invoice total", invoice.total, previewed)?;
    expect("its status", invoice.status.as_deref(), Some("paid"))
}

async fn set_cancel_at_period_end(
    run: &Run,
    subscription: &str,
    cancel: bool,
) -> Result<(), Failure> {
    let form = Form::new().set("cancel_at_period_end", cancel);
    let updated = run
        .stripe
        .update_subscription(subscription, &form, &run.key(&format!("cancel-{cancel}")))
        .await?;
    expect("cancel_at_period_end", updated.cancel_at_period_end, cancel)?;
    expect("status", updated.status, SubscriptionStatus::Active)
}

/// A portal session opening on the card form, as the account page asks for one.
async fn open_portal(run: &Run, customer: &str) -> Result<(), Failure> {
    let session = run
        .stripe
        .create_portal_session(customer, RETURN_URL, true, None, &run.key("portal"))
        .await?;
    if session.url.starts_with("http") {
        return Ok(());
    }
    Err(Failure::Unexpected {
        expected: "a portal URL".into(),
        found: session.url,
    })
}

/// The events since `since` include the creation of each of `subscriptions` (Stripe may take a
/// moment to list them).
async fn events_of(run: &Run, since: i64, subscriptions: &[&str]) -> Result<(), Failure> {
    let mut missing = Vec::new();
    for _ in 0..10 {
        let events = run.stripe.events_since(since).await?;
        missing = subscriptions
            .iter()
            .filter(|id| {
                !events.iter().any(|event| {
                    event.kind == "customer.subscription.created" && event.object_id() == Some(**id)
                })
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(Failure::Unexpected {
        expected: "a customer.subscription.created event for each subscription".into(),
        found: format!("none for {missing:?}"),
    })
}

/// Removes what the run made, carrying on past failures: the clock (and its customer), the
/// other customer, then the prices and products archived (Stripe keeps them). Whether all of
/// it went.
async fn clean_up(run: &Run) -> bool {
    let stripe = &run.stripe;
    let mut failures = Vec::new();
    if let Some(clock) = &run.made.clock {
        if let Err(error) = stripe.delete_test_clock(clock).await {
            failures.push(format!("test clock {clock}: {}", describe(&error)));
        }
    }
    for customer in &run.made.customers {
        if let Err(error) = stripe.delete_customer(customer).await {
            failures.push(format!("customer {customer}: {}", describe(&error)));
        }
    }
    let archive = Form::new().set("active", false);
    for price in &run.made.prices {
        let key = run.key(&format!("archive-{price}"));
        if let Err(error) = stripe.update_price(price, &archive, &key).await {
            failures.push(format!("price {price}: {}", describe(&error)));
        }
    }
    for product in &run.made.products {
        let key = run.key(&format!("archive-{product}"));
        if let Err(error) = stripe.update_product(product, &archive, &key).await {
            failures.push(format!("product {product}: {}", describe(&error)));
        }
    }
    let made = &run.made;
    let summary = format!(
        "clean up (deleted: test clocks {}, other customers {}; archived: prices {}, products {})",
        usize::from(made.clock.is_some()),
        made.customers.len(),
        made.prices.len(),
        made.products.len()
    );
    if failures.is_empty() {
        println!("ok   {summary}");
    } else {
        println!("FAIL {summary}: {}", failures.join("; "));
    }
    failures.is_empty()
}
