//! From the backend's usage overview to the account page's [`UsageView`] (server only): counts
//! grouped by thousands, the bar, the projected charge, the credits and the packs on sale, and
//! the days as chart bars.

use backend::{
    billing::money::{format_date, group_digits, Money},
    usage::Overview,
};

use crate::billing_views::UsageView;

/// A count grouped by thousands (never negative here).
fn thousands(n: i64) -> String {
    group_digits(n.max(0).unsigned_abs())
}

/// The view of one meter.
pub fn view(usage: &Overview) -> UsageView {
    let unit = usage.unit.clone().unwrap_or_else(|| "unit".to_owned());
    let standing = &usage.standing;
    let plan_used = standing.plan_used();
    let max = standing
        .limit
        .unwrap_or(standing.included.max(plan_used))
        .max(1);
    let mut sentence = match standing.limit {
        Some(limit) => format!(
            "{} of {} {unit}s used this period",
            thousands(plan_used),
            thousands(limit)
        ),
        None => format!("{} {unit}s used this period", thousands(plan_used)),
    };
    if standing.included > 0 {
        sentence.push_str(&format!("; {} included", thousands(standing.included)));
    }
    if standing.from_credits > 0 {
        sentence.push_str(&format!(
            "; {} more paid by credits",
            thousands(standing.from_credits)
        ));
    }
    sentence.push('.');
    let credits = if standing.credits > 0 {
        Some(format!(
            "{} {unit} credits left, used before overage.",
            thousands(standing.credits)
        ))
    } else if standing.from_credits > 0 {
        Some(format!("Your {unit} credits are used up."))
    } else {
        None
    };
    let limit_reached = (standing.remaining() == Some(0)).then(|| {
        let mut warning = format!(
            "You have used every {unit} of this period: calls are refused until {}",
            format_date(standing.resets_at)
        );
        warning.push_str(if usage.packs.is_empty() {
            "."
        } else {
            ", or until you buy credits."
        });
        warning
    });
    let peak = usage.days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    UsageView {
        title: format!("{}{}s", unit[..1].to_uppercase(), &unit[1..]),
        sentence,
        percent: (plan_used as f64 * 100.0 / max as f64).min(100.0),
        max,
        value: plan_used.min(max),
        resets: format!("Resets on {}.", format_date(standing.resets_at)),
        projected: usage.unit_price.as_ref().map(|price| {
            let billed = standing.overage();
            format!(
                "Projected for this period: {} ({} {unit}s at {}).",
                Money::new(billed * price.minor, &price.currency).in_words(),
                thousands(billed),
                price.in_words()
            )
        }),
        credits,
        limit_reached,
        packs: usage
            .packs
            .iter()
            .map(|pack| {
                (
                    pack.price_id.clone(),
                    format!(
                        "Buy {} {unit}s for {}",
                        thousands(pack.credits),
                        pack.price.in_words()
                    ),
                )
            })
            .collect(),
        days: usage
            .days
            .iter()
            .map(|(day, n)| {
                (
                    format!("{}: {} {unit}s", day, thousands(*n)),
                    *n as f64 * 100.0 / peak as f64,
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::usage::Standing;
    use time::{Date, Month, OffsetDateTime};

    #[test]
    fn usage_reads_against_its_limit_with_the_projected_charge() {
        let day = Date::from_calendar_date(2026, Month::December, 4).unwrap();
        let overview = Overview {
            meter: "reports_generated".into(),
            unit: Some("report".into()),
            standing: Standing {
                used: 1_250,
                from_credits: 0,
                included: 1_000,
                limit: Some(5_000),
                credits: 0,
                resets_at: OffsetDateTime::UNIX_EPOCH,
            },
            unit_price: Some(Money::new(5, "usd")),
            days: vec![(day, 1_000), (day.next_day().unwrap(), 250)],
            packs: Vec::new(),
        };
        let view = view(&overview);
        assert_eq!(view.title, "Reports");
        assert_eq!(
            view.sentence,
            "1,250 of 5,000 reports used this period; 1,000 included."
        );
        assert_eq!((view.max, view.value), (5_000, 1_250));
        assert_eq!(
            view.projected.as_deref(),
            Some("Projected for this period: $12.50 (250 reports at $0.05).")
        );
        assert_eq!(view.days[1].1, 25.0);
        assert_eq!((view.credits, view.limit_reached), (None, None));
    }

    #[test]
    fn credits_pay_past_the_limit_and_are_not_billed() {
        let overview = Overview {
            meter: "reports_generated".into(),
            unit: Some("report".into()),
            standing: Standing {
                used: 1_020,
                from_credits: 20,
                included: 0,
                limit: Some(1_000),
                credits: 480,
                resets_at: OffsetDateTime::UNIX_EPOCH,
            },
            unit_price: Some(Money::new(5, "usd")),
            days: Vec::new(),
            packs: vec![backend::usage::CreditPack {
                price_id: "price_pack".into(),
                name: "500 reports".into(),
                credits: 500,
                price: Money::new(2_000, "usd"),
            }],
        };
        let view = view(&overview);
        assert_eq!(
            view.sentence,
            "1,000 of 1,000 reports used this period; 20 more paid by credits."
        );
        assert_eq!((view.max, view.value), (1_000, 1_000));
        assert_eq!(
            view.credits.as_deref(),
            Some("480 report credits left, used before overage.")
        );
        assert_eq!(view.limit_reached, None, "the credits carry on");
        assert_eq!(
            view.projected.as_deref(),
            Some("Projected for this period: $50 (1,000 reports at $0.05).")
        );
        assert_eq!(
            view.packs,
            vec![(
                "price_pack".to_owned(),
                "Buy 500 reports for $20".to_owned()
            )]
        );

        let spent = Overview {
            standing: Standing {
                credits: 0,
                from_credits: 500,
                used: 1_500,
                ..overview.standing.clone()
            },
            ..overview
        };
        let view = super::view(&spent);
        assert_eq!(
            view.credits.as_deref(),
            Some("Your report credits are used up.")
        );
        assert_eq!(
            view.limit_reached.as_deref(),
            Some("You have used every report of this period: calls are refused until 1 January 1970, or until you buy credits.")
        );
    }
}
