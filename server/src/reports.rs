//! `GET /api/reports`: the demo product as JSON, for users whose plan includes the API; each call
//! generates a report, counted on the plan's `reports_generated` meter when it has one.

use axum::Json;
use serde_json::{json, Value};

use crate::metered::{usage_json, Metered, Reports};

/// The signed-in user's report: six months of figures, the features they hold, and (on a
/// metered plan) where the period's usage stands after this call.
pub async fn list(metered: Metered<Reports>) -> Json<Value> {
    let entitled = metered.entitled;
    let today = time::OffsetDateTime::now_utc().date();
    let rows = backend::reports::sample(entitled.user.id, today.year(), today.month().into());
    Json(json!({
        "reports": rows,
        "features": entitled.entitlements.iter().collect::<Vec<_>>(),
        "usage": metered.usage.as_ref().map(usage_json),
    }))
}
