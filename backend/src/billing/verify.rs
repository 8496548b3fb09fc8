//! `server stripe verify`: compares what Postgres holds with what Stripe holds, object by object
//! — products, prices, each user's customer, their subscriptions (and items) and invoices, and
//! the console's charges, refunds, disputes and payouts (`verify/money.rs`), every column the app
//! stores — fetched as `server stripe sync` fetches them and mapped to rows as it stores them, so
//! a difference is exactly what a sync (or a replay of missed events) would change. Nothing is
//! written.

use std::{collections::BTreeMap, fmt};

use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

use super::{
    catalog::{self, PriceRow, ProductRow},
    invoices::{self, InvoiceRow},
    subscriptions::{self, ItemRow, SubscriptionRow},
    sync, BillingError, Step,
};
use crate::AppState;
use money::{ChargeRow, DisputeRow, PayoutRow, RefundRow};

mod money;

/// How far back Stripe lists events (`server stripe replay` can go no further).
const EVENTS_KEPT: Duration = Duration::days(30);

/// A kind of object compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// `prod_…`, in `stripe_products`.
    Product,
    /// `price_…`, in `stripe_prices`.
    Price,
    /// `cus_…`, in `billing_customers`.
    Customer,
    /// `sub_…`, in `subscriptions`.
    Subscription,
    /// `si_…`, in `subscription_items`.
    SubscriptionItem,
    /// `in_…`, in `invoices`.
    Invoice,
    /// `ch_…`, in `stripe_charges`.
    Charge,
    /// `re_…`, in `stripe_refunds`.
    Refund,
    /// `du_…`, in `stripe_disputes`.
    Dispute,
    /// `po_…`, in `stripe_payouts`.
    Payout,
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Object::Product => "product",
            Object::Price => "price",
            Object::Customer => "customer",
            Object::Subscription => "subscription",
            Object::SubscriptionItem => "subscription item",
            Object::Invoice => "invoice",
            Object::Charge => "charge",
            Object::Refund => "refund",
            Object::Dispute => "dispute",
            Object::Payout => "payout",
        })
    }
}

/// How Postgres and Stripe disagree about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Stripe has it; Postgres does not.
    NotStored,
    /// Postgres has it; Stripe does not, or has deleted it.
    NotInStripe,
    /// Both have it, but a column differs.
    Field {
        /// The column.
        name: &'static str,
        /// What Postgres holds, as text.
        stored: String,
        /// What Stripe holds, as text.
        in_stripe: String,
    },
}

/// The command that makes Postgres match Stripe again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repair {
    /// `server stripe sync`: re-reads the catalog, every customer's subscriptions and
    /// invoices, and the money after the sale.
    Sync,
    /// `server stripe replay --since …`: events were missed (the object was never stored, or its
    /// deletion never applied); applying them also sends the emails they cause.
    Replay {
        /// Unix seconds to replay from.
        since: i64,
    },
    /// No command: Stripe no longer has the object, and nothing removes its row by itself.
    RemoveRow,
}

/// One object on which Postgres and Stripe disagree, and how to repair it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What kind of object.
    pub object: Object,
    /// Its Stripe id.
    pub id: String,
    /// How they disagree.
    pub mismatch: Mismatch,
    /// What repairs it.
    pub repair: Repair,
}

/// How many objects of each kind were compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Products, in Stripe or stored.
    pub products: usize,
    /// Prices.
    pub prices: usize,
    /// Stored customers.
    pub customers: usize,
    /// Subscriptions.
    pub subscriptions: usize,
    /// Invoices.
    pub invoices: usize,
    /// Charges.
    pub charges: usize,
    /// Refunds.
    pub refunds: usize,
    /// Disputes.
    pub disputes: usize,
    /// Payouts.
    pub payouts: usize,
}

/// What `server stripe verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// What was compared.
    pub checked: Checked,
    /// Every disagreement, catalog first, then customer by customer, then the money.
    pub differences: Vec<Difference>,
}

impl VerifyReport {
    /// Whether Postgres matches Stripe everywhere.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares the catalog, then each stored customer with its subscriptions and invoices, then the
/// money after the sale.
pub async fn run(state: &AppState) -> Result<VerifyReport, BillingError> {
    let stripe = &state.stripe;
    let mut report = VerifyReport::default();
    let differences = &mut report.differences;

    let (products, prices) = sync::fetch_catalog(stripe)
        .await
        .step("fetching the catalog from Stripe")?;
    report.checked.products = compare(
        products.iter().map(ProductRow::from).collect(),
        catalog::stored_products(&state.db)
            .await
            .step("reading the stored products")?,
        differences,
    );
    report.checked.prices = compare(
        prices.iter().map(PriceRow::from).collect(),
        catalog::stored_prices(&state.db)
            .await
            .step("reading the stored prices")?,
        differences,
    );

    let customers = sqlx::query!(
        "SELECT stripe_customer_id, created_at FROM billing_customers ORDER BY created_at"
    )
    .fetch_all(&state.db)
    .await
    .step("reading the stored customers")?;
    report.checked.customers = customers.len();
    for customer in customers {
        let id = customer.stripe_customer_id;
        let gone = match stripe.customer(&id).await {
            Ok(found) => found.deleted,
            Err(error) if error.is_not_found() => true,
            Err(error) => return Err(error.step("fetching a customer from Stripe")),
        };
        if gone {
            // Its `customer.deleted` was missed: replaying it forgets the customer.
            differences.push(Difference {
                object: Object::Customer,
                id,
                mismatch: Mismatch::NotInStripe,
                repair: replay_from(customer.created_at).unwrap_or(Repair::RemoveRow),
            });
            continue;
        }
        let in_stripe = sync::fetch_customer(stripe, &id)
            .await
            .step("fetching a customer's subscriptions and invoices from Stripe")?;
        let (stored_subscriptions, stored_items) =
            subscriptions::stored_of(&state.db, &id)
                .await
                .step("reading a customer's stored subscriptions")?;
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for subscription in &in_stripe.subscriptions {
            let card = subscriptions::card_of(stripe, subscription).await?;
            rows.push(SubscriptionRow::new(subscription, card.as_ref()));
            // Items only of subscriptions stored: a missing subscription is one difference.
            if stored_subscriptions.iter().any(|s| s.id == subscription.id) {
                items.extend(ItemRow::all_of(subscription));
            }
        }
        report.checked.subscriptions += compare(rows, stored_subscriptions, differences);
        compare(items, stored_items, differences);
        report.checked.invoices += compare(
            in_stripe
                .invoices
                .iter()
                .filter_map(InvoiceRow::new)
                .collect(),
            invoices::stored_of(&state.db, &id)
                .await
                .step("reading a customer's stored invoices")?,
            differences,
        );
    }
    money::compare_all(state, &mut report).await?;
    Ok(report)
}

/// Replaying from a minute before the object appeared; `None` when that is further back than
/// Stripe keeps events.
fn replay_from(created: OffsetDateTime) -> Option<Repair> {
    let oldest = OffsetDateTime::now_utc() - EVENTS_KEPT;
    (created >= oldest).then(|| Repair::Replay {
        since: (created - Duration::minutes(1)).unix_timestamp(),
    })
}

/// A stored row type compared column by column with the row Stripe's object maps to.
trait Compared {
    /// Its kind.
    const OBJECT: Object;
    /// The Stripe id.
    fn id(&self) -> &str;
    /// When Stripe made it, for objects whose absence means missed events.
    fn created(&self) -> Option<OffsetDateTime>;
    /// Each column and its value as text.
    fn columns(&self) -> Vec<(&'static str, String)>;
}

/// Adds the differences between Stripe's rows and the stored ones; how many objects there were.
fn compare<R: Compared>(
    in_stripe: Vec<R>,
    stored: Vec<R>,
    differences: &mut Vec<Difference>,
) -> usize {
    let mut stored: BTreeMap<String, R> = stored
        .into_iter()
        .map(|row| (row.id().to_owned(), row))
        .collect();
    let mut count = 0;
    for row in in_stripe {
        count += 1;
        let Some(kept) = stored.remove(row.id()) else {
            differences.push(Difference {
                object: R::OBJECT,
                id: row.id().to_owned(),
                mismatch: Mismatch::NotStored,
                // Sync stores it too, when its events are too old to replay.
                repair: row.created().and_then(replay_from).unwrap_or(Repair::Sync),
            });
            continue;
        };
        for ((name, in_stripe), (_, stored)) in row.columns().into_iter().zip(kept.columns()) {
            if in_stripe != stored {
                differences.push(Difference {
                    object: R::OBJECT,
                    id: row.id().to_owned(),
                    mismatch: Mismatch::Field {
                        name,
                        stored,
                        in_stripe,
                    },
                    repair: Repair::Sync,
                });
            }
        }
    }
    for (id, _) in stored {
        count += 1;
        differences.push(Difference {
            object: R::OBJECT,
            id,
            mismatch: Mismatch::NotInStripe,
            repair: match R::OBJECT {
                // Sync removes catalog rows Stripe no longer has, and stale items.
                Object::Product | Object::Price | Object::SubscriptionItem => Repair::Sync,
                _ => Repair::RemoveRow,
            },
        });
    }
    count
}

/// A column's value as one line of text.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for String {
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}

impl Shown for bool {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for i32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for i64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for OffsetDateTime {
    fn shown(&self) -> String {
        self.format(&Rfc3339)
            .unwrap_or_else(|_| self.unix_timestamp().to_string())
    }
}

impl Shown for Vec<String> {
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}

impl Shown for serde_json::Value {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        self.as_ref()
            .map_or_else(|| "none".to_owned(), Shown::shown)
    }
}

macro_rules! compared {
    ($row:ty, $object:expr, $created:expr; $($column:ident),+ $(,)?) => {
        impl Compared for $row {
            const OBJECT: Object = $object;
            fn id(&self) -> &str {
                &self.id
            }
            fn created(&self) -> Option<OffsetDateTime> {
                $created(self)
            }
            fn columns(&self) -> Vec<(&'static str, String)> {
                vec![$((stringify!($column), self.$column.shown())),+]
            }
        }
    };
}

compared!(ProductRow, Object::Product, |_| None;
    active, name, description, images, marketing_features, metadata, sort_order);
compared!(PriceRow, Object::Price, |_| None;
    product_id, active, currency, unit_amount, kind, recurring_interval, interval_count,
    trial_period_days, lookup_key, nickname, metadata, tax_behavior);
compared!(SubscriptionRow, Object::Subscription, |row: &SubscriptionRow| Some(row.created);
    stripe_customer_id, status, cancel_at_period_end, cancel_at, canceled_at, ended_at,
    trial_start, trial_end, created, latest_invoice_id, card_brand, card_last4, card_exp_month,
    card_exp_year, cancellation_reason);
compared!(ItemRow, Object::SubscriptionItem, |_| None;
    subscription_id, price_id, product_id, quantity, current_period_start, current_period_end);
compared!(InvoiceRow, Object::Invoice, |row: &InvoiceRow| Some(row.created);
    stripe_customer_id, subscription_id, number, status, currency, total, amount_due,
    amount_paid, amount_remaining, billing_reason, hosted_invoice_url, invoice_pdf,
    period_start, period_end, attempt_count, created);
compared!(ChargeRow, Object::Charge, |row: &ChargeRow| Some(row.created);
    stripe_customer_id, payment_intent_id, amount, amount_captured, amount_refunded, currency,
    status, refunded, disputed, balance_transaction_id, fee, net, description, billing_email,
    billing_name, card_brand, card_last4, failure_message, created);
compared!(RefundRow, Object::Refund, |row: &RefundRow| Some(row.created);
    charge_id, amount, currency, status, reason, created);
compared!(DisputeRow, Object::Dispute, |row: &DisputeRow| Some(row.created);
    charge_id, amount, currency, status, reason, evidence, evidence_due_by, has_evidence,
    submission_count, created);
compared!(PayoutRow, Object::Payout, |row: &PayoutRow| Some(row.created);
    amount, currency, status, method, automatic, arrival_date, failure_code, failure_message,
    description, created);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::NotStored => f.write_str("in Stripe, not stored"),
            Mismatch::NotInStripe => f.write_str("stored, not in Stripe"),
            Mismatch::Field {
                name,
                stored,
                in_stripe,
            } => write!(f, "{name} is {stored} here, {in_stripe} in Stripe"),
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::Sync => f.write_str("server stripe sync"),
            Repair::Replay { since } => {
                let since = OffsetDateTime::from_unix_timestamp(*since)
                    .ok()
                    .and_then(|moment| moment.format(&Rfc3339).ok())
                    .unwrap_or_else(|| since.to_string());
                write!(f, "server stripe replay --since {since}")
            }
            Repair::RemoveRow => {
                f.write_str("no command: Stripe no longer has it; delete the row if it is stale")
            }
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} (repair: {})",
            self.object, self.id, self.mismatch, self.repair
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(id: &str, amount: i64) -> PriceRow {
        PriceRow {
            id: id.to_owned(),
            product_id: "prod_1".to_owned(),
            active: true,
            currency: "usd".to_owned(),
            unit_amount: Some(amount),
            kind: "recurring".to_owned(),
            recurring_interval: Some("month".to_owned()),
            interval_count: Some(1),
            trial_period_days: None,
            lookup_key: None,
            nickname: None,
            usage_type: Some("licensed".to_owned()),
            metadata: serde_json::json!({}),
            tax_behavior: None,
        }
    }

    #[test]
    fn each_differing_column_missing_row_and_extra_row_is_one_difference() {
        let mut differences = Vec::new();

        let count = compare(
            vec![price("price_a", 900), price("price_b", 1900)],
            vec![price("price_a", 1000), price("price_c", 500)],
            &mut differences,
        );

        assert_eq!(count, 3);
        assert_eq!(
            differences,
            [
                Difference {
                    object: Object::Price,
                    id: "price_a".into(),
                    mismatch: Mismatch::Field {
                        name: "unit_amount",
                        stored: "1000".into(),
                        in_stripe: "900".into()
                    },
                    repair: Repair::Sync,
                },
                Difference {
                    object: Object::Price,
                    id: "price_b".into(),
                    mismatch: Mismatch::NotStored,
                    repair: Repair::Sync,
                },
                Difference {
                    object: Object::Price,
                    id: "price_c".into(),
                    mismatch: Mismatch::NotInStripe,
                    repair: Repair::Sync,
                },
            ]
        );
        assert_eq!(
            differences[0].to_string(),
            "price price_a: unit_amount is 1000 here, 900 in Stripe (repair: server stripe sync)"
        );
    }

    #[test]
    fn only_an_object_made_within_stripes_thirty_days_of_events_is_repaired_by_a_replay() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            replay_from(now),
            Some(Repair::Replay {
                since: now.unix_timestamp() - 60
            })
        );
        assert_eq!(replay_from(now - Duration::days(40)), None);
    }
}
