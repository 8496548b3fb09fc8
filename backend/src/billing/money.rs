//! Money, billing periods and dates as people read them: `$9`, `$29.50`, `¥1,500`, `per month`,
//! `26 November 2026` — for pages and emails alike.

use time::{macros::format_description, OffsetDateTime};

/// Currencies without a minor unit (Stripe's list): amounts are whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// An amount of money: minor units (cents; whole units in zero-decimal currencies) with its
/// currency, lower-case as Stripe writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    /// In the currency's minor unit.
    pub minor: i64,
    /// Lower-case ISO 4217.
    pub currency: String,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: &str) -> Self {
        Self {
            minor,
            currency: currency.to_ascii_lowercase(),
        }
    }

    /// From a row's nullable amount and currency: both, or none.
    pub fn from_parts(minor: Option<i64>, currency: Option<String>) -> Option<Self> {
        Some(Self::new(minor?, &currency?))
    }

    /// As people read it: `$12.50`, `¥1,500`.
    pub fn in_words(&self) -> String {
        format_amount(self.minor, &self.currency)
    }

    /// As a form field holds it: `12.50`, `1500` (no symbol, no grouping).
    pub fn as_decimal(&self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let magnitude = self.minor.unsigned_abs();
        if is_zero_decimal(&self.currency) {
            format!("{sign}{magnitude}")
        } else {
            format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
        }
    }

    /// What a person typed (`12.5`, `12.50`, `$1,200`), in `currency`; `None` unless it is a
    /// positive amount with no more decimals than the currency has. A comma is taken only as a
    /// thousands separator (`1,200.50`): `1,50` is refused rather than read as 150.
    pub fn parse(typed: &str, currency: &str) -> Option<Self> {
        let cleaned = typed
            .trim()
            .trim_start_matches(|c: char| !c.is_ascii_digit() && !matches!(c, '.' | '-' | ','));
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((cleaned, ""));
        let digits = |text: &str| text.chars().all(|c| c.is_ascii_digit());
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or_default();
        let grouped = groups.clone().count() > 0;
        if !digits(first)
            || (grouped && (first.is_empty() || first.len() > 3))
            || !groups.all(|group| group.len() == 3 && digits(group))
            || !digits(fraction)
            || (whole.is_empty() && fraction.is_empty())
        {
            return None;
        }
        let whole = whole.replace(',', "");
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let minor = if is_zero_decimal(currency) {
            if !fraction.is_empty() {
                return None;
            }
            whole
        } else {
            if fraction.len() > 2 {
                return None;
            }
            let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
            whole.checked_mul(100)?.checked_add(cents)?
        };
        (minor > 0).then(|| Self::new(minor, currency))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_words())
    }
}

/// Whether the currency has no minor unit.
fn is_zero_decimal(currency: &str) -> bool {
    ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str())
}

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
    fn a_typed_amount_is_read_in_the_currencys_minor_unit() {
        assert_eq!(Money::parse("12.5", "usd"), Some(Money::new(1250, "usd")));
        assert_eq!(
            Money::parse(" $1,200.05 ", "usd"),
            Some(Money::new(120_005, "usd"))
        );
        assert_eq!(Money::parse(".5", "eur"), Some(Money::new(50, "eur")));
        assert_eq!(Money::parse("1500", "jpy"), Some(Money::new(1500, "jpy")));
        assert_eq!(
            Money::parse("12,345,678", "usd"),
            Some(Money::new(1_234_567_800, "usd"))
        );
        for refused in [
            "", "0", "0.00", "1.234", "abc", "-5", "1.5.0", "15.5", "1,50", "1,5", "12,34.5",
            ",100", "1,0000",
        ] {
            let currency = if refused == "15.5" { "jpy" } else { "usd" };
            assert_eq!(Money::parse(refused, currency), None, "{refused:?}");
        }
        assert_eq!(Money::new(1250, "usd").as_decimal(), "12.50");
        assert_eq!(Money::new(1500, "jpy").as_decimal(), "1500");
        assert_eq!(Money::new(1250, "USD").to_string(), "$12.50");
    }

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
