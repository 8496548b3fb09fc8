//! Billing Meters, as usage billing uses them: the meters `server stripe seed` makes, the meter
//! events the usage reporter sends (each with an identifier, so a retry never counts twice), and
//! the summaries the reconciliation reads back.
//! <https://docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api>

use serde::Deserialize;

use super::{endpoints::segment, objects::List, Form, StripeClient, StripeError};

/// The parts of a meter we read.
#[derive(Clone, Debug, Deserialize)]
pub struct Meter {
    /// `mtr_…`.
    pub id: String,
    /// What meter events name it by.
    pub event_name: String,
    /// `active` or `inactive`.
    pub status: String,
}

/// A meter's aggregated usage for one customer over a period.
#[derive(Clone, Debug, Deserialize)]
pub struct MeterSummary {
    /// The usage, by the meter's formula.
    pub aggregated_value: f64,
    pub start_time: i64,
    pub end_time: i64,
}

impl StripeClient {
    /// Every meter, active or not.
    pub async fn meters(&self) -> Result<Vec<Meter>, StripeError> {
        let page: List<Meter> = self
            .get("/v1/billing/meters", &Form::new().set("limit", 100))
            .await?;
        Ok(page.data)
    }

    /// Creates a meter.
    pub async fn create_meter(&self, form: &Form, key: &str) -> Result<Meter, StripeError> {
        self.post("/v1/billing/meters", form, key).await
    }

    /// Sends one meter event (`identifier` makes it count once, however often it is sent).
    pub async fn create_meter_event(&self, form: &Form, key: &str) -> Result<(), StripeError> {
        let _: serde_json::Value = self.post("/v1/billing/meter_events", form, key).await?;
        Ok(())
    }

    /// `customer`'s usage on `meter` from `start` to `end` (unix seconds), as one summary.
    pub async fn meter_summary(
        &self,
        meter: &str,
        customer: &str,
        start: i64,
        end: i64,
    ) -> Result<Option<MeterSummary>, StripeError> {
        let page: List<MeterSummary> = self
            .get(
                &format!("/v1/billing/meters/{}/event_summaries", segment(meter)),
                &Form::new()
                    .set("customer", customer)
                    .set("start_time", start)
                    .set("end_time", end),
            )
            .await?;
        Ok(page.data.into_iter().next())
    }
}
