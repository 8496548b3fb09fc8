//! The demo "product" a subscriber pays for: a small usage report, the same for the dashboard
//! page and the `/api/reports` JSON. Replace it with your own product; the gating stays.

use serde::Serialize;
use uuid::Uuid;

/// One month of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// `2026-11`.
    pub month: String,
    /// Requests served that month.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
}

/// Six months of made-up but stable figures for a user, ending with `(year, month)`.
pub fn sample(user_id: Uuid, year: i32, month: u8) -> Vec<ReportRow> {
    let seed = user_id.as_u128();
    (0..6u8)
        .rev()
        .map(|back| {
            let index = i32::from(month) - 1 - i32::from(back);
            let (y, m) = (year + index.div_euclid(12), index.rem_euclid(12) + 1);
            let mix = (seed >> (u32::from(back) * 8)) as u64 & 0xffff;
            let requests = 10_000 + mix * 7 + u64::from(back) * 1_500;
            ReportRow {
                month: format!("{y}-{m:02}"),
                requests,
                errors: requests / (97 + (mix % 50)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_months_ending_with_the_given_one_across_a_year_boundary() {
        let rows = sample(Uuid::nil(), 2027, 2);
        let months: Vec<&str> = rows.iter().map(|r| r.month.as_str()).collect();
        assert_eq!(
            months,
            ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
        );
        assert_eq!(rows, sample(Uuid::nil(), 2027, 2), "stable for a user");
        assert!(rows.iter().all(|r| r.errors < r.requests));
    }
}
