//! Liveness and readiness probes for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode, Json};
use backend::AppState;
use serde::Serialize;

/// The body of both probes.
#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
}

/// `GET /healthz`: the process is up and serving. Never touches the database.
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
    })
}

/// `GET /readyz`: 200 when the database answers, 503 when it does not.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match backend::db::ping(&state.db).await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ready",
                database: Some("ok"),
            }),
        ),
        Err(error) => {
            tracing::warn!(error.cause_chain = ?error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: Some("unreachable"),
                }),
            )
        }
    }
}
