//! Subscription schedules, as plan changes at renewal use them: made from a subscription, given
//! its next phase, and released to undo.
//! <https://docs.stripe.com/billing/subscriptions/subscription-schedules>

use super::{endpoints::segment, objects::SubscriptionSchedule, Form, StripeClient, StripeError};

impl StripeClient {
    /// A schedule that takes over `subscription` as it is now (one phase, its current period).
    pub async fn create_schedule_from(
        &self,
        subscription: &str,
        key: &str,
    ) -> Result<SubscriptionSchedule, StripeError> {
        let form = Form::new().set("from_subscription", subscription);
        self.post("/v1/subscription_schedules", &form, key).await
    }

    /// A schedule by id.
    pub async fn schedule(&self, id: &str) -> Result<SubscriptionSchedule, StripeError> {
        self.get(
            &format!("/v1/subscription_schedules/{}", segment(id)),
            &Form::new(),
        )
        .await
    }

    /// Replaces a schedule's phases (and settings).
    pub async fn update_schedule(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<SubscriptionSchedule, StripeError> {
        self.post(
            &format!("/v1/subscription_schedules/{}", segment(id)),
            form,
            key,
        )
        .await
    }

    /// Releases a schedule: the subscription goes on as it is now, unmanaged.
    pub async fn release_schedule(
        &self,
        id: &str,
        key: &str,
    ) -> Result<SubscriptionSchedule, StripeError> {
        self.post(
            &format!("/v1/subscription_schedules/{}/release", segment(id)),
            &Form::new(),
            key,
        )
        .await
    }
}
