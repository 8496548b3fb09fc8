//! [`Metrics`]: what this replica counts for `GET /metrics` (Prometheus text format) — HTTP
//! requests by route class and status class with their latency, Stripe calls with theirs and
//! their errors, webhook events applied and failed. Kept in the application state (one per
//! replica; tests run many apps in one process, so nothing is global); the database's own
//! figures (the inbox's depth and lag, the pool) are read when scraped ([`render`]).

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

/// Latency bucket bounds in seconds, Prometheus's defaults.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What kind of route a request reached: few enough values to label by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteClass {
    /// An app page (`/`, `/pricing`, `/account`, …).
    Page,
    /// A server function (`/api/…`).
    ServerFunction,
    /// The operator console (`/admin…`).
    Console,
    /// Stripe's webhooks (`/webhooks/…`).
    Webhook,
    /// Compiled assets (`/pkg/…`) and static files.
    Asset,
    /// `/healthz`, `/readyz`, `/metrics`.
    Probe,
}

impl RouteClass {
    /// The class of a request path.
    pub fn of(path: &str) -> Self {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "api" => Self::ServerFunction,
            "admin" => Self::Console,
            "webhooks" => Self::Webhook,
            "pkg" | "favicon.ico" | "favicon.svg" => Self::Asset,
            "healthz" | "readyz" | "metrics" => Self::Probe,
            _ => Self::Page,
        }
    }

    const fn label(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::ServerFunction => "server_function",
            Self::Console => "console",
            Self::Webhook => "webhook",
            Self::Asset => "asset",
            Self::Probe => "probe",
        }
    }
}

/// How a Stripe call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StripeOutcome {
    /// 2xx.
    Answered,
    /// Stripe refused (4xx).
    Refused,
    /// Stripe failed (5xx) or throttled (429).
    Failed,
    /// No answer: a timeout, a refused connection, a cut-off body.
    Unreachable,
}

impl StripeOutcome {
    /// The outcome of an answer with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Answered,
            429 | 500.. => Self::Failed,
            _ => Self::Refused,
        }
    }

    const fn label(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Unreachable => "unreachable",
        }
    }
}

/// Counts and latencies, per label set.
#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or under each bound of [`BUCKETS`] (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.buckets) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// This replica's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<(RouteClass, u16), Histogram>>,
    stripe: Mutex<BTreeMap<(&'static str, StripeOutcome), Histogram>>,
    events_applied: AtomicU64,
    events_failed: AtomicU64,
}

impl Metrics {
    /// A request to `class` answered with `status` after `took`.
    pub fn http_request(&self, class: RouteClass, status: u16, took: Duration) {
        // By status class (2xx, 4xx…): the label set stays small whatever the answers.
        let status_class = status / 100 * 100;
        lock(&self.http)
            .entry((class, status_class))
            .or_default()
            .observe(took.as_secs_f64());
    }

    /// One attempt of a Stripe call (`GET`, `POST`, …) and how it ended, after `took`.
    pub fn stripe_call(&self, method: &'static str, outcome: StripeOutcome, took: Duration) {
        lock(&self.stripe)
            .entry((method, outcome))
            .or_default()
            .observe(took.as_secs_f64());
    }

    /// A webhook event was applied.
    pub fn event_applied(&self) {
        self.events_applied.fetch_add(1, Ordering::Relaxed);
    }

    /// Applying a webhook event failed (it is retried).
    pub fn event_failed(&self) {
        self.events_failed.fetch_add(1, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding it leaves only counters behind: keep counting.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the database says when scraped.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Inbox {
    /// Events recorded and not applied yet (queued, retrying).
    pub pending: i64,
    /// Of those, events whose last attempt failed.
    pub failing: i64,
    /// Events given up on (failing for three days), left for an operator.
    pub given_up: i64,
    /// How long the oldest pending event has waited, in seconds (0 when none).
    pub oldest_pending_seconds: f64,
}

/// Reads the inbox's figures (one statement).
pub async fn inbox(db: &sqlx::PgPool) -> Result<Inbox, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE next_attempt_at IS NOT NULL) AS "pending!",
               count(*) FILTER (WHERE next_attempt_at IS NOT NULL AND error IS NOT NULL)
                   AS "failing!",
               count(*) FILTER (WHERE next_attempt_at IS NULL) AS "given_up!",
               COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)
                   FILTER (WHERE next_attempt_at IS NOT NULL)), 0)::float8 AS "oldest!"
        FROM stripe_events WHERE applied_at IS NULL
        "#
    )
    .fetch_one(db)
    .await?;
    Ok(Inbox {
        pending: row.pending,
        failing: row.failing,
        given_up: row.given_up,
        oldest_pending_seconds: row.oldest,
    })
}

/// The connection pool as scraped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    /// Open connections.
    pub size: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// Everything in Prometheus's text format.
pub fn render(metrics: &Metrics, inbox: &Inbox, pool: &Pool) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP tollgate_http_request_duration_seconds Requests by route class and status class, with their latency.\n\
         # TYPE tollgate_http_request_duration_seconds histogram\n",
    );
    for ((class, status), histogram) in lock(&metrics.http).iter() {
        let labels = format!(
            "route_class=\"{}\",status=\"{}xx\"",
            class.label(),
            status / 100
        );
        histogram.render(&mut out, "tollgate_http_request_duration_seconds", &labels);
    }
    out.push_str(
        "# HELP tollgate_stripe_request_duration_seconds Attempts of Stripe calls by method and outcome, with their latency.\n\
         # TYPE tollgate_stripe_request_duration_seconds histogram\n",
    );
    for ((method, outcome), histogram) in lock(&metrics.stripe).iter() {
        let labels = format!("method=\"{method}\",outcome=\"{}\"", outcome.label());
        histogram.render(
            &mut out,
            "tollgate_stripe_request_duration_seconds",
            &labels,
        );
    }
    let counters = [
        (
            "tollgate_webhook_events_applied_total",
            "Stripe events this replica applied.",
            metrics.events_applied.load(Ordering::Relaxed),
        ),
        (
            "tollgate_webhook_events_failed_total",
            "Attempts to apply a Stripe event that failed on this replica (each is retried).",
            metrics.events_failed.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    let gauges: [(&str, &str, f64); 7] = [
        (
            "tollgate_webhook_inbox_pending",
            "Stripe events recorded and not applied yet (all replicas).",
            inbox.pending as f64,
        ),
        (
            "tollgate_webhook_inbox_failing",
            "Pending Stripe events whose last attempt failed.",
            inbox.failing as f64,
        ),
        (
            "tollgate_webhook_inbox_given_up",
            "Stripe events given up on after three days of failures: an operator's to look at.",
            inbox.given_up as f64,
        ),
        (
            "tollgate_webhook_apply_lag_seconds",
            "How long the oldest pending Stripe event has waited.",
            inbox.oldest_pending_seconds,
        ),
        (
            "tollgate_db_pool_connections",
            "Open database connections of this replica.",
            f64::from(pool.size),
        ),
        (
            "tollgate_db_pool_idle_connections",
            "Of those, idle.",
            f64::from(pool.idle),
        ),
        (
            "tollgate_db_pool_max_connections",
            "The most this replica opens (DATABASE_MAX_CONNECTIONS).",
            f64::from(pool.max),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_into_few_route_classes() {
        assert_eq!(RouteClass::of("/"), RouteClass::Page);
        assert_eq!(RouteClass::of("/account"), RouteClass::Page);
        assert_eq!(RouteClass::of("/api/sign_in"), RouteClass::ServerFunction);
        assert_eq!(RouteClass::of("/admin/payments/ch_1"), RouteClass::Console);
        assert_eq!(
            RouteClass::of("/webhooks/stripe/connect"),
            RouteClass::Webhook
        );
        assert_eq!(RouteClass::of("/pkg/app.css"), RouteClass::Asset);
        assert_eq!(RouteClass::of("/readyz"), RouteClass::Probe);
    }

    #[test]
    fn histograms_render_cumulative_buckets_with_count_and_sum() {
        let metrics = Metrics::default();
        metrics.http_request(RouteClass::Page, 200, Duration::from_millis(3));
        metrics.http_request(RouteClass::Page, 204, Duration::from_millis(30));
        metrics.http_request(RouteClass::Page, 503, Duration::from_secs(20));
        metrics.stripe_call(
            "POST",
            StripeOutcome::of_status(402),
            Duration::from_millis(200),
        );
        let text = render(&metrics, &Inbox::default(), &Pool::default());
        let page = "route_class=\"page\",status=\"2xx\"";
        assert!(
            text.contains(&format!(
                "tollgate_http_request_duration_seconds_bucket{{{page},le=\"0.005\"}} 1"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "tollgate_http_request_duration_seconds_bucket{{{page},le=\"0.05\"}} 2"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "tollgate_http_request_duration_seconds_count{{{page}}} 2"
            )),
            "{text}"
        );
        // Beyond the last bound: only in +Inf.
        let failed = "route_class=\"page\",status=\"5xx\"";
        assert!(
            text.contains(&format!(
                "tollgate_http_request_duration_seconds_bucket{{{failed},le=\"10\"}} 0"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "tollgate_http_request_duration_seconds_bucket{{{failed},le=\"+Inf\"}} 1"
            )),
            "{text}"
        );
        assert!(text.contains("tollgate_stripe_request_duration_seconds_count{method=\"POST\",outcome=\"refused\"} 1"), "{text}");
    }
}
