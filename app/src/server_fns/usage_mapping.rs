//! From the backend's usage overview to the account page's [`UsageView`] (server only): counts
//! grouped by thousands, the bar, the projected charge and the days as chart bars.

use backend::{
    billing::money::{format_amount, format_date, group_digits},
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
    let max = standing
        .limit
        .unwrap_or(standing.included.max(standing.used))
        .max(1);
    let mut sentence = match standing.limit {
        Some(limit) => format!(
            "{} of {} {unit}s used this period",
            thousands(standing.used),
            thousands(limit)
        ),
        None => format!("{} {unit}s used this period", thousands(standing.used)),
    };
    if standing.included > 0 {
        sentence.push_str(&format!("; {} included", thousands(standing.included)));
    }
    sentence.push('.');
    let peak = usage.days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    UsageView {
        title: format!("{}{}s", unit[..1].to_uppercase(), &unit[1..]),
        sentence,
        percent: (standing.used as f64 * 100.0 / max as f64).min(100.0),
        max,
        value: standing.used.min(max),
        resets: format!("Resets on {}.", format_date(standing.resets_at)),
        projected: usage.unit_price.as_ref().map(|(amount, currency)| {
            let billed = (standing.used - standing.included).max(0);
            format!(
                "Projected for this period: {} ({} {unit}s at {}).",
                format_amount(billed * amount, currency),
                thousands(billed),
                format_amount(*amount, currency)
            )
        }),
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
                included: 1_000,
                limit: Some(5_000),
                resets_at: OffsetDateTime::UNIX_EPOCH,
            },
            unit_price: Some((5, "usd".into())),
            days: vec![(day, 1_000), (day.next_day().unwrap(), 250)],
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
    }
}
