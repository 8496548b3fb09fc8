//! Coupons and promotion codes, as `server stripe seed` creates them from the catalog file.
//! <https://docs.stripe.com/api/coupons>, <https://docs.stripe.com/api/promotion_codes>

use serde::Deserialize;

use super::{
    endpoints::segment,
    objects::{Coupon, List},
    Form, StripeClient, StripeError,
};

/// The parts of a promotion code we read.
#[derive(Clone, Debug, Deserialize)]
pub struct PromotionCode {
    /// `promo_…`.
    pub id: String,
    /// What customers type.
    pub code: String,
    pub active: bool,
}

impl StripeClient {
    /// A coupon by id.
    pub async fn coupon(&self, id: &str) -> Result<Coupon, StripeError> {
        self.get(&format!("/v1/coupons/{}", segment(id)), &Form::new())
            .await
    }

    /// Creates a coupon.
    pub async fn create_coupon(&self, form: &Form, key: &str) -> Result<Coupon, StripeError> {
        self.post("/v1/coupons", form, key).await
    }

    /// The promotion codes customers type as `code` (active or not).
    pub async fn promotion_codes_by_code(
        &self,
        code: &str,
    ) -> Result<Vec<PromotionCode>, StripeError> {
        let page: List<PromotionCode> = self
            .get("/v1/promotion_codes", &Form::new().set("code", code))
            .await?;
        Ok(page.data)
    }

    /// Creates a promotion code.
    pub async fn create_promotion_code(
        &self,
        form: &Form,
        key: &str,
    ) -> Result<PromotionCode, StripeError> {
        self.post("/v1/promotion_codes", form, key).await
    }
}
