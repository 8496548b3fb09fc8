//! Stripe's test clocks (test mode only): a customer created on a clock lives at the clock's
//! time, and advancing it runs trial ends and renewals on the way. `server stripe contract`
//! uses one to end a trial without waiting for it.
//! <https://docs.stripe.com/api/test_clocks>

use serde::Deserialize;

use super::{endpoints::segment, objects::Deleted, Form, StripeClient, StripeError};

/// A test clock.
#[derive(Clone, Debug, Deserialize)]
pub struct TestClock {
    /// `clock_…`.
    pub id: String,
    /// The clock's time, unix seconds.
    pub frozen_time: i64,
    /// `ready`, `advancing` or `internal_failure`.
    pub status: String,
}

impl TestClock {
    /// Whether an advance is finished (its renewals and trial ends have run).
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

impl StripeClient {
    /// Creates a test clock at `frozen_time` (unix seconds).
    pub async fn create_test_clock(
        &self,
        frozen_time: i64,
        name: &str,
        key: &str,
    ) -> Result<TestClock, StripeError> {
        let form = Form::new()
            .set("frozen_time", frozen_time)
            .set("name", name);
        self.post("/v1/test_helpers/test_clocks", &form, key).await
    }

    /// One test clock.
    pub async fn test_clock(&self, id: &str) -> Result<TestClock, StripeError> {
        self.get(
            &format!("/v1/test_helpers/test_clocks/{}", segment(id)),
            &Form::new(),
        )
        .await
    }

    /// Starts moving a clock to `frozen_time`; it reads `ready` once the work on the way is done.
    pub async fn advance_test_clock(
        &self,
        id: &str,
        frozen_time: i64,
        key: &str,
    ) -> Result<TestClock, StripeError> {
        self.post(
            &format!("/v1/test_helpers/test_clocks/{}/advance", segment(id)),
            &Form::new().set("frozen_time", frozen_time),
            key,
        )
        .await
    }

    /// Deletes a test clock and the customers on it.
    pub async fn delete_test_clock(&self, id: &str) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/test_helpers/test_clocks/{}", segment(id)))
            .await
    }
}
