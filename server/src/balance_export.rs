//! `GET /admin/balance/export?from=YYYY-MM-DD&to=YYYY-MM-DD`: the balance transactions created
//! in a date range (UTC, both days included) as a CSV download. Admins only (anyone else gets
//! 404, as for every console page); read from the mirror, so it works while Stripe is down.

use axum::{
    extract::{RawQuery, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use backend::{auth::User, console::Admin, AppState};
use serde::Deserialize;
use time::{macros::format_description, Date};

/// The export's range.
#[derive(Debug, Default, Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

/// The CSV file, or 400 with what to fix. The query is read only once the admin is known:
/// anyone else gets 404 whatever they send.
pub async fn export(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let Some(user) = request.extensions().get::<User>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if Admin::check(user).is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let range: Range = axum::extract::Query::try_from_uri(
        &format!("/?{}", query.unwrap_or_default())
            .parse()
            .unwrap_or_default(),
    )
    .map(|axum::extract::Query(range)| range)
    .unwrap_or_default();
    let day = |text: Option<&str>| {
        Date::parse(text?.trim(), format_description!("[year]-[month]-[day]")).ok()
    };
    let (Some(from), Some(to)) = (day(range.from.as_deref()), day(range.to.as_deref())) else {
        return (
            StatusCode::BAD_REQUEST,
            "Give the range as from=YYYY-MM-DD and to=YYYY-MM-DD.",
        )
            .into_response();
    };
    if from > to {
        return (StatusCode::BAD_REQUEST, "The range starts after it ends.").into_response();
    }
    match backend::console::ledger::csv(&state.db, from, to).await {
        Ok(None) => (
            StatusCode::BAD_REQUEST,
            "The range holds more than 100,000 transactions: export a shorter one.",
        )
            .into_response(),
        Ok(Some(csv)) => {
            let mut response = csv.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(disposition) = HeaderValue::from_str(&format!(
                "attachment; filename=\"balance-transactions-{from}-to-{to}.csv\""
            )) {
                headers.insert(header::CONTENT_DISPOSITION, disposition);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "exporting balance transactions failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
