//! One typed method per Stripe call Tollgate makes. Creates take the `Idempotency-Key` from the
//! caller, who derives it from what the call is for.

use serde::de::DeserializeOwned;

use super::{
    client::Answered,
    objects::{
        CheckoutSession, Customer, Deleted, Event, Expandable, Invoice, List, PaymentMethod,
        PortalSession, Price, Product, Subscription,
    },
    Form, StripeClient, StripeError,
};

/// Stripe's largest page.
const PAGE: u32 = 100;

impl StripeClient {
    /// Every object of a list endpoint, following `has_more` page by page.
    pub async fn list_all<T: DeserializeOwned + HasListId>(
        &self,
        path: &str,
        filters: &Form,
    ) -> Result<Vec<T>, StripeError> {
        let mut all: Vec<T> = Vec::new();
        loop {
            let mut query = filters.clone().set("limit", PAGE);
            if let Some(last) = all.last() {
                query = query.set("starting_after", last.list_id());
            }
            let page: List<T> = self.get(path, &query).await?;
            let more = page.has_more && !page.data.is_empty();
            all.extend(page.data);
            if !more {
                return Ok(all);
            }
        }
    }

    /// Every product, active or archived.
    pub async fn products(&self) -> Result<Vec<Product>, StripeError> {
        self.list_active_and_archived("/v1/products", &Form::new())
            .await
    }

    /// Every price, active or archived.
    pub async fn prices(&self) -> Result<Vec<Price>, StripeError> {
        self.list_active_and_archived("/v1/prices", &Form::new())
            .await
    }

    /// Every object of a catalog list endpoint, active and archived: without `active` Stripe
    /// lists only the active ones, so the archived ones are asked for separately.
    async fn list_active_and_archived<T: DeserializeOwned + HasListId>(
        &self,
        path: &str,
        filters: &Form,
    ) -> Result<Vec<T>, StripeError> {
        let mut all = self
            .list_all(path, &filters.clone().set("active", true))
            .await?;
        all.extend(
            self.list_all(path, &filters.clone().set("active", false))
                .await?,
        );
        Ok(all)
    }

    /// The prices with these lookup keys, active or archived (an archived price keeps its key).
    pub async fn prices_by_lookup_key(&self, keys: &[&str]) -> Result<Vec<Price>, StripeError> {
        let filters = keys
            .iter()
            .fold(Form::new(), |form, key| form.set("lookup_keys[]", key));
        self.list_active_and_archived("/v1/prices", &filters).await
    }

    /// One product.
    pub async fn product(&self, id: &str) -> Result<Product, StripeError> {
        self.get(&format!("/v1/products/{}", segment(id)), &Form::new())
            .await
    }

    /// One price.
    pub async fn price(&self, id: &str) -> Result<Price, StripeError> {
        self.get(&format!("/v1/prices/{}", segment(id)), &Form::new())
            .await
    }

    /// Creates a product (`form` may carry an `id` of our choosing).
    pub async fn create_product(&self, form: &Form, key: &str) -> Result<Product, StripeError> {
        self.post("/v1/products", form, key).await
    }

    /// Updates a product.
    pub async fn update_product(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<Product, StripeError> {
        self.post(&format!("/v1/products/{}", segment(id)), form, key)
            .await
    }

    /// Creates a price.
    pub async fn create_price(&self, form: &Form, key: &str) -> Result<Price, StripeError> {
        self.post("/v1/prices", form, key).await
    }

    /// Updates a price (`active=false` archives it: it can no longer be sold).
    pub async fn update_price(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<Price, StripeError> {
        self.post(&format!("/v1/prices/{}", segment(id)), form, key)
            .await
    }

    /// A customer's cards: its card PaymentMethods, and the older card sources (`card_…`), which
    /// Stripe lists among them.
    pub async fn cards_of(&self, customer: &str) -> Result<Vec<PaymentMethod>, StripeError> {
        self.list_all(
            &format!("/v1/customers/{}/payment_methods", segment(customer)),
            &Form::new().set("type", "card"),
        )
        .await
    }

    /// Creates a customer.
    pub async fn create_customer(&self, form: &Form, key: &str) -> Result<Customer, StripeError> {
        self.post("/v1/customers", form, key).await
    }

    /// Updates a customer (e.g. `invoice_settings[default_payment_method]`).
    pub async fn update_customer(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<Customer, StripeError> {
        self.post(&format!("/v1/customers/{}", segment(id)), form, key)
            .await
    }

    /// Attaches a payment method to a customer. Stripe's test names (`pm_card_visa`) make a new
    /// card each time; the answer carries its `pm_…` id.
    pub async fn attach_payment_method(
        &self,
        id: &str,
        customer: &str,
        key: &str,
    ) -> Result<PaymentMethod, StripeError> {
        self.post(
            &format!("/v1/payment_methods/{}/attach", segment(id)),
            &Form::new().set("customer", customer),
            key,
        )
        .await
    }

    /// Deletes a customer.
    pub async fn delete_customer(&self, id: &str) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/customers/{}", segment(id))).await
    }

    /// Creates a Checkout Session.
    pub async fn create_checkout_session(
        &self,
        form: &Form,
        key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        self.post("/v1/checkout/sessions", form, key).await
    }

    /// A Checkout Session with its subscription and line items expanded.
    pub async fn checkout_session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        let expand = Form::new()
            .set("expand[]", "subscription")
            .set("expand[]", "line_items");
        self.get(&format!("/v1/checkout/sessions/{}", segment(id)), &expand)
            .await
    }

    /// One subscription, with its own default payment method expanded.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        let expand = Form::new()
            .set("expand[]", "default_payment_method")
            .set("expand[]", "schedule")
            .set("expand[]", "discounts.source.coupon");
        self.get(&format!("/v1/subscriptions/{}", segment(id)), &expand)
            .await
    }

    /// Creates a subscription (Checkout makes the app's; this one is for checking Stripe).
    pub async fn create_subscription(
        &self,
        form: &Form,
        key: &str,
    ) -> Result<Subscription, StripeError> {
        let form = form.clone().set("expand[]", "default_payment_method");
        self.post("/v1/subscriptions", &form, key).await
    }

    /// Updates a subscription (cancel at period end, resume, swap the price).
    pub async fn update_subscription(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<Subscription, StripeError> {
        let form = form.clone().set("expand[]", "default_payment_method");
        self.post(&format!("/v1/subscriptions/{}", segment(id)), &form, key)
            .await
    }

    /// As [`Self::update_subscription`], with Stripe's `Request-Id` for the record.
    pub async fn update_subscription_answered(
        &self,
        id: &str,
        form: &Form,
        key: &str,
    ) -> Result<Answered<Subscription>, StripeError> {
        self.post_answered(&format!("/v1/subscriptions/{}", segment(id)), form, key)
            .await
    }

    /// As [`Self::cancel_subscription`], with Stripe's `Request-Id` for the record.
    pub async fn cancel_subscription_answered(
        &self,
        id: &str,
    ) -> Result<Answered<Subscription>, StripeError> {
        self.delete_answered(&format!("/v1/subscriptions/{}", segment(id)))
            .await
    }

    /// Cancels a subscription at once (`DELETE`; repeating it is refused, not repeated).
    pub async fn cancel_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.delete(&format!("/v1/subscriptions/{}", segment(id)))
            .await
    }

    /// Resumes a subscription paused at the end of a trial without a card: a new period starts
    /// now and is invoiced at once.
    pub async fn resume_subscription(
        &self,
        id: &str,
        key: &str,
    ) -> Result<Subscription, StripeError> {
        let form = Form::new()
            .set("billing_cycle_anchor[type]", "now")
            .set("expand[]", "default_payment_method");
        self.post(
            &format!("/v1/subscriptions/{}/resume", segment(id)),
            &form,
            key,
        )
        .await
    }

    /// One customer (a deleted one answers `deleted: true`), with its default payment method
    /// fetched too. Not with `expand[]`: a deleted customer's stub has no `invoice_settings`, and
    /// Stripe refuses to expand a property that is not there.
    pub async fn customer(&self, id: &str) -> Result<Customer, StripeError> {
        let mut customer: Customer = self
            .get(&format!("/v1/customers/{}", segment(id)), &Form::new())
            .await?;
        if let Some(settings) = &mut customer.invoice_settings {
            if let Some(Expandable::Id(method)) = &settings.default_payment_method {
                let path = format!("/v1/payment_methods/{}", segment(method));
                settings.default_payment_method = match self.get(&path, &Form::new()).await {
                    Ok(method) => Some(Expandable::Object(Box::new(method))),
                    // The card is gone, not the customer: no card to show.
                    Err(error) if error.is_not_found() => None,
                    Err(error) => return Err(error),
                };
            }
        }
        Ok(customer)
    }

    /// One invoice, with its payments (what links it to the charge that paid it).
    pub async fn invoice(&self, id: &str) -> Result<Invoice, StripeError> {
        self.get(
            &format!("/v1/invoices/{}", segment(id)),
            &Form::new().set("expand[]", "payments"),
        )
        .await
    }

    /// Pays an open invoice now with the customer's default payment method.
    pub async fn pay_invoice(&self, id: &str, key: &str) -> Result<Invoice, StripeError> {
        self.post(
            &format!("/v1/invoices/{}/pay", segment(id)),
            &Form::new(),
            key,
        )
        .await
    }

    /// Every invoice of a customer.
    pub async fn invoices_of(&self, customer: &str) -> Result<Vec<Invoice>, StripeError> {
        self.list_all("/v1/invoices", &Form::new().set("customer", customer))
            .await
    }

    /// What the next invoice would be with the changes in `form` (`subscription_details[…]`):
    /// the proration preview. Nothing is created.
    pub async fn preview_invoice(&self, form: &Form) -> Result<Invoice, StripeError> {
        // A POST that creates nothing; the key only makes Stripe's retry handling apply.
        let key = format!("tollgate-preview-{}", form.fingerprint());
        self.post("/v1/invoices/create_preview", form, &key).await
    }

    /// The events created at or after `since` (unix seconds), oldest first. Stripe keeps 30
    /// days of them.
    pub async fn events_since(&self, since: i64) -> Result<Vec<Event>, StripeError> {
        let mut events: Vec<Event> = self
            .list_all("/v1/events", &Form::new().set("created[gte]", since))
            .await?;
        events.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(events)
    }

    /// A customer's subscriptions in every status, each with its own default payment method
    /// expanded.
    pub async fn subscriptions_of(&self, customer: &str) -> Result<Vec<Subscription>, StripeError> {
        let filters = Form::new()
            .set("customer", customer)
            .set("status", "all")
            .set("expand[]", "data.default_payment_method");
        self.list_all("/v1/subscriptions", &filters).await
    }

    /// A customer's open Checkout Sessions.
    pub async fn open_checkout_sessions(
        &self,
        customer: &str,
    ) -> Result<Vec<CheckoutSession>, StripeError> {
        let filters = Form::new().set("customer", customer).set("status", "open");
        self.list_all("/v1/checkout/sessions", &filters).await
    }

    /// Expires an open Checkout Session (its page stops taking payments).
    pub async fn expire_checkout_session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        self.post(
            &format!("/v1/checkout/sessions/{}/expire", segment(id)),
            &Form::new(),
            &format!("tollgate-expire-{id}"),
        )
        .await
    }

    /// A customer portal session returning to `return_url`, on `configuration` (`bpc_…`; none:
    /// the account's default); with `card_only`, it opens on the form that replaces the card
    /// (`flow_data[type]=payment_method_update`) and comes back to `return_url` once it is saved.
    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        card_only: bool,
        configuration: Option<&str>,
        key: &str,
    ) -> Result<PortalSession, StripeError> {
        let mut form = Form::new()
            .set("customer", customer)
            .set("return_url", return_url)
            .set_some("configuration", configuration);
        if card_only {
            form = form
                .set("flow_data[type]", "payment_method_update")
                .set("flow_data[after_completion][type]", "redirect")
                .set(
                    "flow_data[after_completion][redirect][return_url]",
                    return_url,
                );
        }
        self.post("/v1/billing_portal/sessions", &form, key).await
    }
}

/// List items page on by their id.
pub trait HasListId {
    /// The id `starting_after` takes.
    fn list_id(&self) -> &str;
}

macro_rules! list_ids {
    ($($kind:ty),*) => {
        $(impl HasListId for $kind {
            fn list_id(&self) -> &str {
                &self.id
            }
        })*
    };
}
list_ids!(
    Product,
    Price,
    Subscription,
    CheckoutSession,
    Event,
    PaymentMethod
);

impl HasListId for Invoice {
    fn list_id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// An id as one path segment: anything but letters, digits, `_` and `-` is percent-encoded, so
/// an id from a URL can never reach another endpoint (`cs_x/../customers`).
pub(super) fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('.', "%2E")
}
