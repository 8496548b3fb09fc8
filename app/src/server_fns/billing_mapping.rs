//! From the backend's billing types to the pricing and success pages' view structs (server only):
//! grouping prices for the interval toggle, yearly savings, statuses in words.

use backend::billing::{
    catalog::{Catalog, CatalogPrice},
    checkout::Outcome,
    money::{format_amount, format_period},
    purchases::{Purchase, PurchaseStatus},
    subscriptions::HeldPlan,
    SubscriptionStatus,
};

use crate::billing_views::{CheckoutResult, PlanView, PriceView, PricingView};

/// The toggle's order: shortest interval first, one-time last.
const GROUP_ORDER: &[&str] = &["day", "week", "month", "year"];

/// The pricing page for a catalog and (when signed in) what the user holds and bought, and
/// whether they had their one free trial already (then no price offers one).
pub fn pricing(
    catalog: &Catalog,
    held: &[HeldPlan],
    bought: &[Purchase],
    signed_in: bool,
    had_trial: bool,
    seats: u32,
    automatic_tax: bool,
) -> PricingView {
    let mut groups: Vec<String> = Vec::new();
    // Credit packs are sold on the account page, next to the usage they add to.
    let plans = catalog
        .products
        .iter()
        .filter(|product| product.credits.is_none())
        .map(|product| {
            let mut prices: Vec<PriceView> = Vec::new();
            // The catalog holds one price per cadence: what is for sale is what is shown.
            for price in &product.prices {
                let group = group_of(price);
                if !groups.contains(&group) {
                    groups.push(group.clone());
                }
                let cadence = match &price.recurring {
                    Some(interval) if price.metered => format!(
                        "per {}, billed every {}",
                        product.usage_unit.as_deref().unwrap_or("unit"),
                        format_period(&interval.unit, interval.count)
                    ),
                    Some(interval) => {
                        format!("per {}", format_period(&interval.unit, interval.count))
                    }
                    None => "once".to_owned(),
                };
                prices.push(PriceView {
                    id: price.id.clone(),
                    amount: format_amount(price.unit_amount, &price.currency),
                    seat_total: product.per_seat.then(|| {
                        format!(
                            "{} {cadence} for {seats} {}",
                            format_amount(
                                price.unit_amount.saturating_mul(i64::from(seats)),
                                &price.currency
                            ),
                            if seats == 1 { "seat" } else { "seats" }
                        )
                    }),
                    cadence,
                    tax_note: match price.tax_behavior.as_deref() {
                        _ if !automatic_tax => None,
                        Some("inclusive") => Some("tax included".to_owned()),
                        Some("exclusive") => Some("plus tax".to_owned()),
                        _ => None,
                    },
                    trial_days: price
                        .trial_period_days
                        .filter(|days| *days > 0 && !had_trial),
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
                per_seat: product.per_seat,
                seats,
                max_seats: product.max_seats,
                held_status: held
                    .iter()
                    .find(|h| h.product_id == product.id)
                    .map(|h| short_status(h.state.status, h.cancel_at_period_end).to_owned()),
                purchased: bought
                    .iter()
                    .any(|p| p.product_id == product.id && p.status != "failed"),
                highlighted: product.highlighted,
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
        subscription: held.first().map(|plan| plan.subscription_id.clone()),
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
fn short_status(status: SubscriptionStatus, cancel_at_period_end: bool) -> &'static str {
    match status {
        SubscriptionStatus::Trialing => "Your plan · trial",
        SubscriptionStatus::Active if cancel_at_period_end => "Your plan · ends at period end",
        status if status.payment_failed() => "Your plan · payment failed",
        SubscriptionStatus::Paused => "Your plan · paused",
        _ => "Your plan",
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
            status: match status {
                SubscriptionStatus::Trialing => "Your free trial has started.".to_owned(),
                SubscriptionStatus::Active => "Your subscription is active.".to_owned(),
                SubscriptionStatus::Incomplete => {
                    "Your payment is still being confirmed.".to_owned()
                }
                other => format!("Your subscription is {}.", other.in_words()),
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
    use backend::billing::{
        catalog::{CatalogProduct, Interval},
        entitlements::SubscriptionState,
    };
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
            tax_behavior: Some("exclusive".to_owned()),
            metered: false,
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
                    highlighted: false,
                    per_seat: false,
                    max_seats: None,
                    usage_unit: None,
                    credits: None,
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
                    highlighted: false,
                    per_seat: false,
                    max_seats: None,
                    usage_unit: None,
                    credits: None,
                    prices: vec![price("price_once", 19900, None)],
                },
            ],
        }
    }

    #[test]
    fn yearly_prices_show_what_they_save_against_monthly() {
        let view = pricing(&catalog(), &[], &[], false, false, 1, false);
        let pro = &view.plans[0];
        assert_eq!(pro.prices[0].saving_percent, None);
        // 12 × $29 = $348; $290 saves 16.7 % → 17 %.
        assert_eq!(pro.prices[1].saving_percent, Some(17));
        assert_eq!(pro.prices[1].cadence, "per year");
        assert_eq!(pro.prices[1].amount, "$290");
    }

    #[test]
    fn a_per_seat_price_is_totalled_for_the_seats_and_says_plus_tax_under_stripe_tax() {
        let mut catalog = catalog();
        catalog.products[0].per_seat = true;
        let view = pricing(&catalog, &[], &[], false, false, 3, true);
        let pro = &view.plans[0];
        assert!(pro.per_seat);
        assert_eq!(
            pro.prices[0].seat_total.as_deref(),
            Some("$87 per month for 3 seats")
        );
        assert_eq!(pro.prices[0].tax_note.as_deref(), Some("plus tax"));
        assert_eq!(view.plans[1].prices[0].seat_total, None, "not per seat");
        let untaxed = pricing(&catalog, &[], &[], false, false, 1, false);
        assert_eq!(untaxed.plans[0].prices[0].tax_note, None);
        assert_eq!(
            untaxed.plans[0].prices[0].seat_total.as_deref(),
            Some("$29 per month for 1 seat")
        );
    }

    #[test]
    fn only_the_product_marked_highlight_stands_out() {
        let mut catalog = catalog();
        catalog.products[0].highlighted = true;
        let view = pricing(&catalog, &[], &[], false, false, 1, false);
        assert!(view.plans[0].highlighted);
        assert!(!view.plans[1].highlighted);
    }

    #[test]
    fn the_toggle_lists_only_the_intervals_that_exist_with_one_time_last() {
        let view = pricing(&catalog(), &[], &[], false, false, 1, false);
        assert_eq!(view.groups, ["month", "year", "one_time"]);
        let mut only_yearly = catalog();
        only_yearly.products[0].prices.remove(0);
        only_yearly.products.pop();
        assert_eq!(
            pricing(&only_yearly, &[], &[], true, false, 1, false).groups,
            ["year"]
        );
    }

    #[test]
    fn the_held_price_and_product_are_marked() {
        let held = HeldPlan {
            subscription_id: "sub_1".into(),
            state: SubscriptionState {
                status: SubscriptionStatus::Trialing,
                past_due_since: None,
                ended_at: None,
                trial_end: None,
                cancellation_reason: None,
                latest_invoice_paid: false,
                current_period_end: OffsetDateTime::UNIX_EPOCH,
            },
            product_id: "prod_pro".into(),
            product_name: Some("Pro".into()),
            price_id: "price_y".into(),
            cancel_at_period_end: false,
        };
        let view = pricing(&catalog(), &[held], &[], true, false, 1, false);
        assert_eq!(view.subscription.as_deref(), Some("sub_1"));
        assert_eq!(
            view.plans[0].held_status.as_deref(),
            Some("Your plan · trial")
        );
        assert!(view.plans[0].prices[1].held && !view.plans[0].prices[0].held);
        assert_eq!(view.plans[1].held_status, None);
    }
}
