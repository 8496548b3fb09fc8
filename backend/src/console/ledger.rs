//! The balance transactions page and its CSV export: every movement of the Stripe balance (a
//! charge in, a refund, a dispute, a payout out), as mirrored, newest first by cursor, filtered
//! by type; the export covers a date range, oldest first.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::{billing::money::Money, stripe::payments::BalanceStatus};

/// Transactions per page.
pub const PAGE: i64 = 50;

/// The most rows one export holds.
pub const EXPORT_MAX: i64 = 100_000;

/// One balance transaction.
#[derive(Clone, Debug)]
pub struct Movement {
    /// `txn_…`.
    pub id: String,
    /// Stripe's `type`: `charge`, `refund`, `adjustment`, `payout`, `stripe_fee`, `transfer`, …
    pub kind: String,
    /// Stripe's reporting category.
    pub category: String,
    /// Gross.
    pub amount: Money,
    /// Stripe's fee.
    pub fee: Money,
    /// Net.
    pub net: Money,
    /// Whether it can be paid out yet (`None`: a status this version does not know).
    pub status: Option<BalanceStatus>,
    /// When it can be paid out.
    pub available_on: OffsetDateTime,
    /// The object that moved the money.
    pub source: Option<String>,
    /// Stripe's description.
    pub description: Option<String>,
    /// When.
    pub created: OffsetDateTime,
}

/// A page of transactions, newest first, after `after`, of Stripe type `kind` if given.
pub async fn page(
    db: impl PgExecutor<'_>,
    kind: Option<&str>,
    after: Option<&str>,
) -> Result<Vec<Movement>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT id, kind, reporting_category, amount, fee, net, currency, status, available_on,
               source_id, description, created
        FROM stripe_balance_transactions
        WHERE ($1::text IS NULL OR kind = $1)
          AND ($2::text IS NULL OR (created, id) <
               (SELECT created, id FROM stripe_balance_transactions WHERE id = $2))
        ORDER BY created DESC, id DESC
        LIMIT $3
        "#,
        kind,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Movement {
            amount: Money::new(row.amount, &row.currency),
            fee: Money::new(row.fee, &row.currency),
            net: Money::new(row.net, &row.currency),
            id: row.id,
            kind: row.kind,
            category: row.reporting_category,
            status: BalanceStatus::from_stored(&row.status),
            available_on: row.available_on,
            source: row.source_id,
            description: row.description,
            created: row.created,
        })
        .collect())
}

/// The Stripe types present, for the filter.
pub async fn kinds(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT DISTINCT kind FROM stripe_balance_transactions ORDER BY kind")
        .fetch_all(db)
        .await
}

/// The transactions created from `from` to `to` (whole days, UTC), oldest first, as CSV with a
/// header row; amounts in the currency's minor unit, as Stripe reports them. `None` when the
/// range holds more than [`EXPORT_MAX`] (export a shorter one: a partial file would add up
/// wrong).
pub async fn csv(
    db: impl PgExecutor<'_>,
    from: Date,
    to: Date,
) -> Result<Option<String>, sqlx::Error> {
    let start = from.midnight().assume_utc();
    let end = to.next_day().unwrap_or(to).midnight().assume_utc();
    let rows = sqlx::query!(
        r#"
        SELECT id, kind, reporting_category, amount, fee, net, currency, status, available_on,
               source_id, description, created
        FROM stripe_balance_transactions
        WHERE created >= $1 AND created < $2
        ORDER BY created, id
        LIMIT $3
        "#,
        start,
        end,
        EXPORT_MAX + 1,
    )
    .fetch_all(db)
    .await?;
    if rows.len() as i64 > EXPORT_MAX {
        return Ok(None);
    }
    let mut out = String::from(
        "id,type,reporting_category,amount,fee,net,currency,status,available_on,source,description,created\n",
    );
    let iso = |at: OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    for row in rows {
        let fields = [
            row.id,
            row.kind,
            row.reporting_category,
            row.amount.to_string(),
            row.fee.to_string(),
            row.net.to_string(),
            row.currency,
            row.status,
            iso(row.available_on),
            row.source_id.unwrap_or_default(),
            row.description.unwrap_or_default(),
            iso(row.created),
        ];
        let line: Vec<String> = fields.iter().map(|field| cell(field)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok(Some(out))
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return (a formula to a spreadsheet) is neutralised with a `'` first —
/// but not a negative amount, which is a plain integer.
fn cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text.parse::<i64>().is_err());
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_csv_cell_is_quoted_when_it_must_be_and_never_a_formula() {
        assert_eq!(cell("txn_1"), "txn_1");
        assert_eq!(cell("-1912"), "-1912", "a negative amount stays a number");
        assert_eq!(cell("Pro, yearly"), "\"Pro, yearly\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(cell("-inf"), "'-inf");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("-inf"), "'-inf");
        assert_eq!(cell("\tx"), "'\tx");
    }
}
