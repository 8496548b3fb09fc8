//! From the backend's billing types to the pages' view structs (server only): grouping prices
//! for the interval toggle, yearly savings, statuses and dates in words.

use backend::billing::{
    catalog::{Catalog, CatalogPrice},
    checkout::Outcome,
    invoices::StoredInvoice,
    manage::{ChangePreview, PlanDetails},
    money::{format_amount, format_date as date, format_period, group_digits},
    purchases::{Purchase, PurchaseStatus},
    subscriptions::HeldPlan,
};

use crate::billing_views::{
    BillingOverview, ChangePreviewView, CheckoutResult, DashboardView, HeldPlanView, InvoiceView,
    PlanOption, PlanView, PriceView, PricingView, PurchaseView, ReportRowView,
};

/// The toggle's order: shortest interval first, one-time last.
const GROUP_ORDER: &[&str] = &["day", "week", "month", "year"];

/// The pricing page for a catalog and (when signed in) what the user holds and bought.
pub fn pricing(
    catalog: &Catalog,
    held: &[HeldPlan],
    bought: &[Purchase],
    signed_in: bool,
) -> PricingView {
    let mut groups: Vec<String> = Vec::new();
    let plans = catalog
        .products
        .iter()
        .map(|product| {
            let mut prices: Vec<PriceView> = Vec::new();
            for price in &product.prices {
                let group = group_of(price);
                if prices.iter().any(|p| p.group == group) {
                    continue; // one price per group: the cheapest (the catalog is sorted)
                }
                if !groups.contains(&group) {
                    groups.push(group.clone());
                }
                prices.push(PriceView {
                    id: price.id.clone(),
                    amount: format_amount(price.unit_amount, &price.currency),
                    cadence: match &price.recurring {
                        Some(interval) => {
                            format!("per {}", format_period(&interval.unit, interval.count))
                        }
                        None => "once".to_owned(),
                    },
                    trial_days: price.trial_period_days.filter(|days| *days > 0),
                    saving_percent: yearly_saving(price, &product.prices),
                    held: held.iter().any(|h| h.price_id == price.id),
                    group,
                });
            }
            PlanView {
                product_id: product.id.clone(),
                name: product.name.clone(),
                description: product.description.clone(),
                features: product.features.clone(),
                prices,
                held_status: held
                    .iter()
                    .find(|h| h.product_id == product.id)
                    .map(|h| short_status(&h.status, h.cancel_at_period_end).to_owned()),
                purchased: bought
                    .iter()
                    .any(|p| p.product_id == product.id && p.status != "failed"),
            }
        })
        .collect();
    groups.sort_by_key(|group| {
        GROUP_ORDER
            .iter()
            .position(|g| g == group)
            .unwrap_or(if group == "one_time" {
                usize::MAX
            } else {
                GROUP_ORDER.len()
            })
    });
    PricingView {
        plans,
        groups,
        signed_in,
        subscribed: !held.is_empty(),
    }
}

/// `month`, `year`, `3-month`, or `one_time`.
fn group_of(price: &CatalogPrice) -> String {
    match &price.recurring {
        Some(interval) if interval.count == 1 => interval.unit.clone(),
        Some(interval) => format!("{}-{}", interval.count, interval.unit),
        None => "one_time".to_owned(),
    }
}

/// For a yearly price: the percent saved against twelve of the product's monthly price.
fn yearly_saving(price: &CatalogPrice, siblings: &[CatalogPrice]) -> Option<u32> {
    price
        .recurring
        .as_ref()
        .filter(|i| i.unit == "year" && i.count == 1)?;
    let monthly = siblings.iter().find(|p| {
        p.currency == price.currency
            && p.recurring
                .as_ref()
                .is_some_and(|i| i.unit == "month" && i.count == 1)
    })?;
    let twelve = monthly.unit_amount.checked_mul(12)?;
    if twelve <= 0 || price.unit_amount >= twelve {
        return None;
    }
    let percent = ((twelve - price.unit_amount) * 100 + twelve / 2) / twelve;
    u32::try_from(percent).ok().filter(|p| *p > 0)
}

/// A status as a badge on the pricing card.
fn short_status(status: &str, cancel_at_period_end: bool) -> &'static str {
    match status {
        "trialing" => "Your plan · trial",
        "active" if cancel_at_period_end => "Your plan · ends at period end",
        "active" => "Your plan",
        "past_due" | "unpaid" => "Your plan · payment failed",
        "paused" => "Your plan · paused",
        _ => "Your plan",
    }
}

/// The account page's billing section.
pub fn overview(
    plans: &[PlanDetails],
    invoices: &[StoredInvoice],
    bought: &[Purchase],
    has_customer: bool,
    catalog: &Catalog,
) -> BillingOverview {
    BillingOverview {
        plans: plans.iter().map(|plan| held_plan(plan, catalog)).collect(),
        invoices: invoices
            .iter()
            .map(|invoice| InvoiceView {
                number: invoice.number.clone().unwrap_or_else(|| invoice.id.clone()),
                date: date(invoice.created),
                amount: format_amount(invoice.total, &invoice.currency),
                status: match invoice.status.as_str() {
                    "paid" => "Paid",
                    "open" => "Due",
                    "void" => "Void",
                    "uncollectible" => "Uncollectible",
                    _ => "Draft",
                }
                .to_owned(),
                hosted_url: invoice.hosted_invoice_url.clone(),
                pdf_url: invoice.invoice_pdf.clone(),
            })
            .collect(),
        purchases: bought
            .iter()
            .map(|purchase| PurchaseView {
                description: purchase.description.clone(),
                amount: format_amount(purchase.amount, &purchase.currency),
                date: date(purchase.purchased_at),
                pending: purchase.status == "pending",
                failed: purchase.status == "failed",
            })
            .collect(),
        has_customer,
    }
}

fn held_plan(plan: &PlanDetails, catalog: &Catalog) -> HeldPlanView {
    let live = matches!(plan.status.as_str(), "active" | "trialing" | "past_due");
    let currency = plan.currency.as_deref();
    HeldPlanView {
        subscription_id: plan.subscription_id.clone(),
        name: plan
            .product_name
            .clone()
            .unwrap_or_else(|| plan.product_id.clone()),
        status: status_sentence(plan),
        price: match (plan.unit_amount, currency) {
            (Some(amount), Some(currency)) => Some(format!(
                "{} per {}",
                format_amount(amount, currency),
                format_period(
                    plan.interval.as_deref().unwrap_or("month"),
                    plan.interval_count.unwrap_or(1)
                )
            )),
            _ => None,
        },
        card: match (&plan.card_brand, &plan.card_last4) {
            (Some(brand), Some(last4)) => Some(format!(
                "{} ending in {last4}{}",
                brand_name(brand),
                match (plan.card_exp_month, plan.card_exp_year) {
                    (Some(month), Some(year)) => format!(", expires {month:02}/{year}"),
                    _ => String::new(),
                }
            )),
            _ => None,
        },
        needs_attention: matches!(plan.status.as_str(), "past_due" | "unpaid" | "paused"),
        can_cancel: live && !plan.ends_as_scheduled(),
        can_resume: live && plan.ends_as_scheduled(),
        change_options: if live {
            change_options(catalog, &plan.price_id, currency)
        } else {
            Vec::new()
        },
    }
}

/// Every recurring price for sale in the plan's currency, except its own.
fn change_options(catalog: &Catalog, current: &str, currency: Option<&str>) -> Vec<PlanOption> {
    catalog
        .products
        .iter()
        .flat_map(|product| product.prices.iter().map(move |price| (product, price)))
        .filter(|(_, price)| {
            price.id != current
                && price.recurring.is_some()
                && currency.is_none_or(|c| c == price.currency)
        })
        .map(|(product, price)| PlanOption {
            price_id: price.id.clone(),
            label: format!("{} — {}", product.name, price_words(price)),
        })
        .collect()
}

/// `$9 per month`.
fn price_words(price: &CatalogPrice) -> String {
    let amount = format_amount(price.unit_amount, &price.currency);
    match &price.recurring {
        Some(interval) => format!(
            "{amount} per {}",
            format_period(&interval.unit, interval.count)
        ),
        None => amount,
    }
}

/// `visa` → `Visa`, `amex` → `American Express`.
fn brand_name(brand: &str) -> String {
    match brand {
        "amex" => "American Express".to_owned(),
        "diners" => "Diners Club".to_owned(),
        "mastercard" => "Mastercard".to_owned(),
        "unionpay" => "UnionPay".to_owned(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// A plan's state in words.
fn status_sentence(plan: &PlanDetails) -> String {
    let period_end = date(plan.current_period_end);
    match plan.status.as_str() {
        "trialing" if plan.ends_as_scheduled() => format!(
            "Free trial until {}, then it ends",
            date(plan.trial_end.unwrap_or(plan.current_period_end))
        ),
        "trialing" => format!(
            "Free trial until {}",
            date(plan.trial_end.unwrap_or(plan.current_period_end))
        ),
        "active" if plan.ends_as_scheduled() => format!(
            "Cancels on {}",
            date(plan.cancel_at.unwrap_or(plan.current_period_end))
        ),
        "active" => format!("Renews on {period_end}"),
        "past_due" => "Payment failed — update your card".to_owned(),
        "unpaid" => "Unpaid — update your card to continue".to_owned(),
        "paused" => "Paused — add a card to continue".to_owned(),
        "incomplete" => "Waiting for the first payment".to_owned(),
        "canceled" => format!("Canceled — yours until {period_end}"),
        other => other.replace('_', " "),
    }
}

/// The preview of a plan change, in words.
pub fn change_preview(
    preview: &ChangePreview,
    subscription_id: &str,
    price_id: &str,
    catalog: &Catalog,
) -> ChangePreviewView {
    let money = |amount: i64| format_amount(amount, &preview.currency);
    ChangePreviewView {
        subscription_id: subscription_id.to_owned(),
        price_id: price_id.to_owned(),
        to: catalog
            .find_price(price_id)
            .map(|(product, price)| format!("{} — {}", product.name, price_words(price)))
            .unwrap_or_else(|| price_id.to_owned()),
        lines: preview
            .lines
            .iter()
            .map(|(description, amount, _)| (description.clone(), money(*amount)))
            .collect(),
        adjustment: if preview.proration_total < 0 {
            format!("a credit of {}", money(-preview.proration_total))
        } else {
            money(preview.proration_total)
        },
        next_total: money(preview.total),
        proration_date: preview.proration_date,
    }
}

/// The dashboard's report, numbers grouped by thousands.
pub fn dashboard(rows: &[backend::reports::ReportRow], api: bool) -> DashboardView {
    DashboardView::Unlocked {
        rows: rows
            .iter()
            .map(|row| ReportRowView {
                month: row.month.clone(),
                requests: group_digits(row.requests),
                errors: group_digits(row.errors),
            })
            .collect(),
        api,
    }
}

/// The success page's message for what a Checkout Session came to.
pub fn checkout_result(outcome: Outcome) -> CheckoutResult {
    match outcome {
        Outcome::Pending => CheckoutResult::Pending,
        Outcome::Expired => CheckoutResult::Expired,
        Outcome::Subscribed {
            product_name,
            status,
        } => CheckoutResult::Subscribed {
            plan: product_name,
            status: match status.as_str() {
                "trialing" => "Your free trial has started.".to_owned(),
                "active" => "Your subscription is active.".to_owned(),
                "incomplete" => "Your payment is still being confirmed.".to_owned(),
                other => format!("Your subscription is {}.", other.replace('_', " ")),
            },
        },
        Outcome::Purchased {
            description,
            status: PurchaseStatus::Failed,
        } => CheckoutResult::PaymentFailed { description },
        Outcome::Purchased {
            description,
            status,
        } => CheckoutResult::Purchased {
            description,
            paid: status == PurchaseStatus::Paid,
        },
    }
}

#[cfg(test)]
mod tests {
    use backend::billing::catalog::{CatalogProduct, Interval};
    use time::OffsetDateTime;

    use super::*;

    fn price(id: &str, amount: i64, interval: Option<(&str, i32)>) -> CatalogPrice {
        CatalogPrice {
            id: id.to_owned(),
            currency: "usd".to_owned(),
            unit_amount: amount,
            recurring: interval.map(|(unit, count)| Interval {
                unit: unit.to_owned(),
                count,
            }),
            trial_period_days: None,
            lookup_key: None,
        }
    }

    fn catalog() -> Catalog {
        Catalog {
            products: vec![
                CatalogProduct {
                    id: "prod_pro".into(),
                    name: "Pro".into(),
                    description: None,
                    images: vec![],
                    features: vec![],
                    prices: vec![
                        price("price_m", 2900, Some(("month", 1))),
                        price("price_y", 29000, Some(("year", 1))),
                    ],
                },
                CatalogProduct {
                    id: "prod_life".into(),
                    name: "Lifetime".into(),
                    description: None,
                    images: vec![],
                    features: vec![],
                    prices: vec![price("price_once", 19900, None)],
                },
            ],
        }
    }

    #[test]
    fn yearly_prices_show_what_they_save_against_monthly() {
        let view = pricing(&catalog(), &[], &[], false);
        let pro = &view.plans[0];
        assert_eq!(pro.prices[0].saving_percent, None);
        // 12 × $29 = $348; $290 saves 16.7 % → 17 %.
        assert_eq!(pro.prices[1].saving_percent, Some(17));
        assert_eq!(pro.prices[1].cadence, "per year");
        assert_eq!(pro.prices[1].amount, "$290");
    }

    #[test]
    fn the_toggle_lists_only_the_intervals_that_exist_with_one_time_last() {
        let view = pricing(&catalog(), &[], &[], false);
        assert_eq!(view.groups, ["month", "year", "one_time"]);
        let mut only_yearly = catalog();
        only_yearly.products[0].prices.remove(0);
        only_yearly.products.pop();
        assert_eq!(pricing(&only_yearly, &[], &[], true).groups, ["year"]);
    }

    #[test]
    fn the_held_price_and_product_are_marked() {
        let held = HeldPlan {
            subscription_id: "sub_1".into(),
            product_id: "prod_pro".into(),
            product_name: Some("Pro".into()),
            price_id: "price_y".into(),
            status: "trialing".into(),
            cancel_at_period_end: false,
            current_period_end: OffsetDateTime::UNIX_EPOCH,
            trial_end: None,
        };
        let view = pricing(&catalog(), &[held], &[], true);
        assert!(view.subscribed);
        assert_eq!(
            view.plans[0].held_status.as_deref(),
            Some("Your plan · trial")
        );
        assert!(view.plans[0].prices[1].held && !view.plans[0].prices[0].held);
        assert_eq!(view.plans[1].held_status, None);
    }
}
