//! Money, billing periods and dates as people read them: `$9`, `$29.50`, `¥1,500`, `per month`,
//! `26 November 2026` — for pages and emails alike.

use time::{macros::format_description, OffsetDateTime};

/// Currencies without a minor unit (Stripe's list): amounts are whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Formats an amount in minor units: cents are shown only when there are any.
pub fn format_amount(minor_units: i64, currency: &str) -> String {
    let currency = currency.to_ascii_lowercase();
    let sign = if minor_units < 0 { "-" } else { "" };
    let magnitude = minor_units.unsigned_abs();
    let (whole, cents) = if ZERO_DECIMAL.contains(&currency.as_str()) {
        (magnitude, None)
    } else {
        let cents = magnitude % 100;
        (magnitude / 100, (cents != 0).then_some(cents))
    };
    let grouped = group_digits(whole);
    let number = match cents {
        Some(cents) => format!("{grouped}.{cents:02}"),
        None => grouped,
    };
    match symbol(&currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {}", currency.to_ascii_uppercase()),
    }
}

/// `1234567` → `1,234,567`.
pub fn group_digits(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        "inr" => "₹",
        "krw" => "₩",
        _ => return None,
    })
}

/// `month` → `month`, (`month`, 3) → `3 months`.
pub fn format_period(unit: &str, count: i32) -> String {
    if count == 1 {
        unit.to_owned()
    } else {
        format!("{count} {unit}s")
    }
}

/// `26 November 2026`.
pub fn format_date(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| at.date().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_are_shown_only_when_there_are_some() {
        assert_eq!(format_amount(900, "usd"), "$9");
        assert_eq!(format_amount(2950, "USD"), "$29.50");
        assert_eq!(format_amount(123_456_789, "eur"), "€1,234,567.89");
        assert_eq!(format_amount(5, "gbp"), "£0.05");
    }

    #[test]
    fn zero_decimal_currencies_have_no_cents() {
        assert_eq!(format_amount(1500, "jpy"), "¥1,500");
        assert_eq!(format_amount(1500, "krw"), "₩1,500");
        assert_eq!(format_amount(1500, "clp"), "1,500 CLP");
    }

    #[test]
    fn unknown_currencies_show_their_code() {
        assert_eq!(format_amount(1000, "chf"), "10 CHF");
        assert_eq!(format_amount(-250, "chf"), "-2.50 CHF");
    }

    #[test]
    fn periods_read_naturally() {
        assert_eq!(format_period("month", 1), "month");
        assert_eq!(format_period("month", 3), "3 months");
    }
}
