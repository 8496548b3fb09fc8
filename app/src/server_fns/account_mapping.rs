//! From the backend's billing types to the account and dashboard pages' view structs (server
//! only): plans, cards, invoices and the plan-change preview in words.

use backend::billing::{
    catalog::{Catalog, CatalogPrice},
    invoices::StoredInvoice,
    manage::{ChangePreview, PlanDetails},
    money::{format_amount, format_date as date, format_period, group_digits},
    purchases::Purchase,
    SubscriptionStatus,
};

use crate::billing_views::{
    BillingOverview, ChangePreviewView, DashboardView, HeldPlanView, InvoiceView, LockedReason,
    PlanOption, PurchaseView, ReportRowView,
};

/// The account page's billing section.
pub fn overview(
    plans: &[PlanDetails],
    invoices: &[StoredInvoice],
    bought: &[Purchase],
    has_customer: bool,
    catalog: &Catalog,
) -> BillingOverview {
    let mut renewing: Vec<&str> = plans
        .iter()
        .filter(|plan| plan.state.status.is_live() && !plan.ends_as_scheduled())
        .map(|plan| plan.subscription_id.as_str())
        .collect();
    renewing.dedup();
    BillingOverview {
        several_renewing: renewing.len() > 1,
        usage: Vec::new(),
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
                adjustments: adjustments(invoice),
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
                afterwards: afterwards(purchase),
            })
            .collect(),
        has_customer,
    }
}

/// What became of a purchase's money after it was paid, in words.
fn afterwards(purchase: &Purchase) -> Option<String> {
    use backend::billing::purchases::TakenBack;
    match purchase.taken_back {
        Some(TakenBack::Refunded) => {
            Some("refunded in full — its features are no longer included".to_owned())
        }
        Some(TakenBack::DisputeLost) => Some(
            "the payment was disputed and reversed — its features are no longer included"
                .to_owned(),
        ),
        None if purchase.refunded > 0 => Some(format!(
            "{} refunded — it stays yours",
            format_amount(purchase.refunded, &purchase.currency)
        )),
        None => None,
    }
}

fn held_plan(plan: &PlanDetails, catalog: &Catalog) -> HeldPlanView {
    let live = plan.state.status.is_live();
    let paused = plan.state.status == SubscriptionStatus::Paused;
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
        }
        .map(|price| match (plan.per_seat, plan.quantity) {
            _ if plan.metered => format!(
                "{} per {}, billed at the end of each period",
                price.split(" per ").next().unwrap_or(&price),
                plan.usage_unit.as_deref().unwrap_or("unit")
            ),
            (true, seats) => format!(
                "{price} per seat, {seats} {}",
                if seats == 1 { "seat" } else { "seats" }
            ),
            _ => price,
        }),
        scheduled_change: scheduled_change(plan),
        discount: discount(plan),
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
        needs_attention: plan.state.status.needs_card() || plan.pending_change().is_some(),
        card_action: card_action(plan),
        can_cancel: (live && !plan.ends_as_scheduled()) || paused,
        cancel_ends_now: paused,
        can_resume: live && plan.ends_as_scheduled(),
        change_options: if live {
            change_options(catalog, &plan.price_id, currency)
        } else {
            Vec::new()
        },
        change_awaiting_payment: plan.pending_change().map(|_| {
            let to = plan
                .pending_product_name
                .as_deref()
                .unwrap_or("the new plan");
            format!(
                "Your change to {to} is waiting for payment: your card was declined. Update your card to complete it."
            )
        }),
    }
}

/// A change set for the renewal, in a sentence: `Changes to Hobby on 4 January 2027`.
fn scheduled_change(plan: &PlanDetails) -> Option<String> {
    let at = plan.scheduled_at?;
    let to = plan
        .scheduled_product_name
        .as_deref()
        .unwrap_or("another plan");
    let seats = match (plan.per_seat, plan.scheduled_quantity) {
        (true, Some(seats)) if seats != plan.quantity => format!(" ({seats} seats)"),
        _ => String::new(),
    };
    Some(format!("Changes to {to}{seats} on {}", date(at)))
}

/// The plan's discount in words: `Launch offer: 20% off until 4 March 2027`.
fn discount(plan: &PlanDetails) -> Option<String> {
    let name = plan.discount_name.as_deref()?;
    let off = match (
        &plan.discount_percent_off,
        plan.discount_amount_off,
        &plan.discount_currency,
    ) {
        (Some(percent), _, _) => format!("{percent}% off"),
        (None, Some(amount), Some(currency)) => format!("{} off", format_amount(amount, currency)),
        _ => "a discount".to_owned(),
    };
    Some(match plan.discount_ends_at {
        Some(ends) => format!("{name}: {off} until {}", date(ends)),
        None => format!("{name}: {off}"),
    })
}

/// What an invoice's total took off and includes: `$5.80 off, incl. $2.03 tax`.
fn adjustments(invoice: &StoredInvoice) -> Option<String> {
    let mut parts = Vec::new();
    if invoice.discount > 0 {
        parts.push(format!(
            "{} off",
            format_amount(invoice.discount, &invoice.currency)
        ));
    }
    if invoice.tax > 0 {
        parts.push(format!(
            "incl. {} tax",
            format_amount(invoice.tax, &invoice.currency)
        ));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
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
                && !price.metered
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

/// The card button a plan needs, if any.
fn card_action(plan: &PlanDetails) -> Option<String> {
    let has_card = plan.card_last4.is_some();
    if plan.pending_change().is_some() {
        return Some("Update card".to_owned());
    }
    match plan.state.status {
        status if status.payment_failed() => Some("Update card"),
        SubscriptionStatus::Paused if has_card => Some("Update card"),
        SubscriptionStatus::Paused => Some("Add a card"),
        SubscriptionStatus::Trialing if !has_card && !plan.ends_as_scheduled() => {
            Some("Add a card")
        }
        _ => None,
    }
    .map(str::to_owned)
}

/// A plan's state in words.
fn status_sentence(plan: &PlanDetails) -> String {
    let period_end = date(plan.state.current_period_end);
    match plan.state.status {
        SubscriptionStatus::Trialing if plan.ends_as_scheduled() => format!(
            "Free trial until {}, then it ends",
            date(
                plan.state
                    .trial_end
                    .unwrap_or(plan.state.current_period_end)
            )
        ),
        SubscriptionStatus::Trialing if plan.card_last4.is_none() => format!(
            "Free trial until {} — add a card to continue after it",
            date(
                plan.state
                    .trial_end
                    .unwrap_or(plan.state.current_period_end)
            )
        ),
        SubscriptionStatus::Trialing => format!(
            "Free trial until {}",
            date(
                plan.state
                    .trial_end
                    .unwrap_or(plan.state.current_period_end)
            )
        ),
        SubscriptionStatus::Active if plan.ends_as_scheduled() => format!(
            "Cancels on {}",
            date(plan.cancel_at.unwrap_or(plan.state.current_period_end))
        ),
        SubscriptionStatus::Active => format!("Renews on {period_end}"),
        SubscriptionStatus::PastDue => "Payment failed — update your card".to_owned(),
        SubscriptionStatus::Unpaid => "Unpaid — update your card to continue".to_owned(),
        SubscriptionStatus::Paused if plan.card_last4.is_some() => {
            "Paused — update your card to continue".to_owned()
        }
        SubscriptionStatus::Paused => "Paused — add a card to continue".to_owned(),
        SubscriptionStatus::Incomplete => "Waiting for the first payment".to_owned(),
        SubscriptionStatus::Canceled => format!("Canceled — yours until {period_end}"),
        SubscriptionStatus::IncompleteExpired => plan.state.status.in_words(),
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
            .map(|(description, amount)| (description.clone(), money(*amount)))
            .collect(),
        settlement: match preview.total {
            0 => "Nothing to pay now.".to_owned(),
            due if due > 0 => format!("You pay {} now, for the rest of this period.", money(due)),
            credit => format!(
                "{} is credited to your balance and taken off your next invoices.",
                money(-credit)
            ),
        },
        proration_date: preview.proration_date,
        at_renewal: None,
    }
}

/// A downgrade's preview: nothing billed now, the new plan from the renewal.
pub fn change_at_renewal(
    at: time::OffsetDateTime,
    subscription_id: &str,
    price_id: &str,
    catalog: &Catalog,
) -> ChangePreviewView {
    let to = catalog
        .find_price(price_id)
        .map(|(product, price)| format!("{} — {}", product.name, price_words(price)))
        .unwrap_or_else(|| price_id.to_owned());
    ChangePreviewView {
        subscription_id: subscription_id.to_owned(),
        price_id: price_id.to_owned(),
        settlement: format!(
            "Your current plan runs to the end of the period you paid for; {to} starts on {}. Nothing is charged now, and you can undo it until then.",
            date(at)
        ),
        to,
        lines: Vec::new(),
        proration_date: 0,
        at_renewal: Some(date(at)),
    }
}

/// Why the dashboard is locked for a user holding plans in `statuses`: a paused trial or a
/// failed payment (past its grace period) is the user's to fix; otherwise no plan includes it.
pub fn locked_reason(statuses: &[SubscriptionStatus]) -> LockedReason {
    if statuses.contains(&SubscriptionStatus::Paused) {
        LockedReason::Paused
    } else if statuses.iter().any(|status| status.payment_failed()) {
        LockedReason::PaymentFailed
    } else {
        LockedReason::NoPlan
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

#[cfg(test)]
mod tests {
    use backend::billing::{
        catalog::{CatalogProduct, Interval},
        entitlements::SubscriptionState,
    };
    use time::{Duration, OffsetDateTime};

    use super::*;
    use SubscriptionStatus::*;

    fn plan(status: SubscriptionStatus) -> PlanDetails {
        let period_end = OffsetDateTime::UNIX_EPOCH + Duration::days(20_800);
        PlanDetails {
            subscription_id: "sub_1".into(),
            state: SubscriptionState {
                status,
                past_due_since: None,
                ended_at: None,
                trial_end: None,
                cancellation_reason: None,
                latest_invoice_paid: true,
                current_period_end: period_end,
            },
            cancel_at_period_end: false,
            cancel_at: None,
            item_id: "si_1".into(),
            product_id: "prod_pro".into(),
            product_name: Some("Pro".into()),
            price_id: "price_m".into(),
            unit_amount: Some(2900),
            currency: Some("usd".into()),
            interval: Some("month".into()),
            interval_count: Some(1),
            card_brand: Some("amex".into()),
            card_last4: Some("0005".into()),
            card_exp_month: Some(3),
            card_exp_year: Some(2031),
            pending_price_id: None,
            pending_product_name: None,
            pending_update_expires_at: None,
            quantity: 1,
            per_seat: false,
            metered: false,
            usage_unit: None,
            meter: None,
            scheduled_price_id: None,
            scheduled_product_name: None,
            scheduled_quantity: None,
            scheduled_at: None,
            discount_name: None,
            discount_percent_off: None,
            discount_amount_off: None,
            discount_currency: None,
            discount_ends_at: None,
        }
    }

    fn catalog() -> Catalog {
        let price = |id: &str, amount, currency: &str, unit: Option<&str>| CatalogPrice {
            id: id.into(),
            currency: currency.into(),
            unit_amount: amount,
            recurring: unit.map(|unit| Interval {
                unit: unit.into(),
                count: 1,
            }),
            trial_period_days: None,
            lookup_key: None,
            tax_behavior: None,
            metered: false,
        };
        Catalog {
            products: vec![CatalogProduct {
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
                    price("price_m", 2900, "usd", Some("month")),
                    price("price_y", 29000, "usd", Some("year")),
                    price("price_eur", 2700, "eur", Some("month")),
                    price("price_once", 19900, "usd", None),
                ],
            }],
        }
    }

    #[test]
    fn a_plan_reads_as_status_price_and_card() {
        let view = held_plan(&plan(Active), &catalog());
        assert!(view.status.starts_with("Renews on "), "{}", view.status);
        assert_eq!(view.price.as_deref(), Some("$29 per month"));
        assert_eq!(
            view.card.as_deref(),
            Some("American Express ending in 0005, expires 03/2031")
        );
        assert!(view.can_cancel && !view.can_resume && !view.needs_attention);
    }

    #[test]
    fn a_per_seat_plan_reads_its_seats_discount_and_change_at_renewal() {
        let mut plan = plan(Active);
        plan.per_seat = true;
        plan.quantity = 3;
        plan.scheduled_product_name = Some("Hobby".into());
        plan.scheduled_quantity = Some(3);
        plan.scheduled_at = Some(OffsetDateTime::UNIX_EPOCH + Duration::days(20_800));
        plan.discount_name = Some("Launch offer".into());
        plan.discount_percent_off = Some("20".into());
        plan.discount_ends_at = Some(OffsetDateTime::UNIX_EPOCH + Duration::days(20_830));
        let view = held_plan(&plan, &catalog());
        assert_eq!(
            view.price.as_deref(),
            Some("$29 per month per seat, 3 seats")
        );
        let change = view.scheduled_change.unwrap();
        assert!(change.starts_with("Changes to Hobby on "), "{change}");
        let discount = view.discount.unwrap();
        assert!(
            discount.starts_with("Launch offer: 20% off until "),
            "{discount}"
        );
        plan.discount_percent_off = None;
        plan.discount_amount_off = Some(500);
        plan.discount_currency = Some("usd".into());
        plan.discount_ends_at = None;
        assert_eq!(
            held_plan(&plan, &catalog()).discount.as_deref(),
            Some("Launch offer: $5 off")
        );
    }

    #[test]
    fn a_scheduled_end_offers_resume_whichever_way_it_was_set() {
        let mut at_period_end = plan(Active);
        at_period_end.cancel_at_period_end = true;
        let mut at_a_date = plan(Active);
        at_a_date.cancel_at = Some(at_a_date.state.current_period_end - Duration::days(3));
        for scheduled in [at_period_end, at_a_date] {
            let view = held_plan(&scheduled, &catalog());
            assert!(view.status.starts_with("Cancels on "), "{}", view.status);
            assert!(view.can_resume && !view.can_cancel);
        }
    }

    #[test]
    fn a_failed_payment_asks_for_attention() {
        let view = held_plan(&plan(PastDue), &catalog());
        assert_eq!(view.status, "Payment failed — update your card");
        assert!(view.needs_attention);
    }

    #[test]
    fn a_change_waiting_for_payment_says_so_and_asks_for_a_new_card() {
        let mut hobby = plan(Active);
        hobby.product_name = Some("Hobby".into());
        hobby.pending_price_id = Some("price_pro".into());
        hobby.pending_product_name = Some("Pro".into());
        hobby.pending_update_expires_at = Some(hobby.state.current_period_end);

        let view = held_plan(&hobby, &catalog());

        assert_eq!(
            view.change_awaiting_payment.as_deref(),
            Some("Your change to Pro is waiting for payment: your card was declined. Update your card to complete it.")
        );
        assert_eq!(view.card_action.as_deref(), Some("Update card"));
        assert!(view.needs_attention);
        assert_eq!(view.name, "Hobby");
        assert_eq!(
            held_plan(&plan(Active), &catalog()).change_awaiting_payment,
            None
        );
    }

    #[test]
    fn a_plan_without_a_card_asks_for_one_and_a_failed_payment_for_a_new_one() {
        let without_card = |status: SubscriptionStatus| {
            let mut plan = plan(status);
            plan.card_brand = None;
            plan.card_last4 = None;
            plan.state.trial_end = Some(plan.state.current_period_end);
            held_plan(&plan, &catalog())
        };
        let trial = without_card(Trialing);
        assert!(
            trial.status.ends_with("— add a card to continue after it"),
            "{}",
            trial.status
        );
        assert_eq!(trial.card_action.as_deref(), Some("Add a card"));
        let paused = without_card(Paused);
        assert_eq!(paused.status, "Paused — add a card to continue");
        assert_eq!(paused.card_action.as_deref(), Some("Add a card"));
        assert!(paused.needs_attention && paused.can_cancel && paused.cancel_ends_now);
        assert!(!held_plan(&plan(Active), &catalog()).cancel_ends_now);
        for status in [PastDue, Unpaid] {
            let view = held_plan(&plan(status), &catalog());
            assert_eq!(view.card_action.as_deref(), Some("Update card"), "{status}");
        }
        assert_eq!(held_plan(&plan(Active), &catalog()).card_action, None);
        assert_eq!(held_plan(&plan(Trialing), &catalog()).card_action, None);
        let mut ending = plan(Trialing);
        ending.card_last4 = None;
        ending.cancel_at_period_end = true;
        assert_eq!(held_plan(&ending, &catalog()).card_action, None);
    }

    #[test]
    fn a_locked_dashboard_says_whether_a_card_would_open_it() {
        assert_eq!(locked_reason(&[]), LockedReason::NoPlan);
        assert_eq!(locked_reason(&[Paused]), LockedReason::Paused);
        assert_eq!(locked_reason(&[Unpaid]), LockedReason::PaymentFailed);
        assert_eq!(locked_reason(&[PastDue]), LockedReason::PaymentFailed);
        assert_eq!(locked_reason(&[PastDue, Paused]), LockedReason::Paused);
    }

    #[test]
    fn a_plan_change_says_what_is_paid_or_credited_now() {
        let preview = |total| ChangePreview {
            proration_date: 1,
            currency: "usd".into(),
            lines: vec![
                ("Unused time on Pro".into(), -1210),
                ("Remaining time on Hobby".into(), 0),
            ],
            total,
        };
        let settle =
            |total| change_preview(&preview(total), "sub_1", "price_y", &catalog()).settlement;
        assert_eq!(
            settle(2000),
            "You pay $20 now, for the rest of this period."
        );
        assert_eq!(
            settle(-1210),
            "$12.10 is credited to your balance and taken off your next invoices."
        );
        assert_eq!(settle(0), "Nothing to pay now.");
        let view = change_preview(&preview(0), "sub_1", "price_y", &catalog());
        assert_eq!(view.to, "Pro — $290 per year");
        assert_eq!(
            view.lines[0],
            ("Unused time on Pro".to_owned(), "-$12.10".to_owned())
        );
    }

    #[test]
    fn plan_changes_offer_other_recurring_prices_in_the_same_currency() {
        let view = held_plan(&plan(Trialing), &catalog());
        let offered: Vec<&str> = view
            .change_options
            .iter()
            .map(|o| o.price_id.as_str())
            .collect();
        assert_eq!(offered, ["price_y"]);
        assert_eq!(view.change_options[0].label, "Pro — $290 per year");
        assert!(held_plan(&plan(Canceled), &catalog())
            .change_options
            .is_empty());
    }
}
