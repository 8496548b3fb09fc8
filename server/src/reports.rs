//! `GET /api/reports`: the demo product as JSON, for users whose plan includes the API.

use axum::Json;
use serde_json::{json, Value};

use crate::entitled::{Api, Entitled};

/// The signed-in user's report: six months of figures, and the features they hold.
pub async fn list(entitled: Entitled<Api>) -> Json<Value> {
    let today = time::OffsetDateTime::now_utc().date();
    let rows = backend::reports::sample(entitled.user.id, today.year(), today.month().into());
    Json(json!({
        "reports": rows,
        "features": entitled.entitlements.iter().collect::<Vec<_>>(),
    }))
}
