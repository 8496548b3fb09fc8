//! The money after the sale, as Stripe describes it: charges, refunds, disputes, payouts, the
//! balance and its transactions — the parts of each object the operator console reads, and the
//! calls it makes. Statuses are types ([`ChargeStatus`], …), parsed from Stripe and from the
//! stored rows alike.

use serde::Deserialize;

use super::{
    client::Answered,
    endpoints::{segment, HasListId},
    objects::{optional_id_of, Expandable, HasId},
    Form, StripeClient, StripeError,
};

/// A status Stripe names in `snake_case`: the enum, its serde form, `as_str` for the stored row
/// and `from_stored` to read the row back.
macro_rules! stripe_status {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Stripe's name for it, as stored.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The stored value read back; `None` for a value this version does not know.
            pub fn from_stored(value: &str) -> Option<Self> {
                match value { $($text => Some(Self::$variant),)+ _ => None }
            }

            /// Stripe's name in words: `needs response`.
            pub fn in_words(self) -> String {
                self.as_str().replace('_', " ")
            }
        }
    };
}

stripe_status!(
    /// Whether a charge went through.
    ChargeStatus {
        /// Paid.
        Succeeded = "succeeded",
        /// Waiting for the bank (a debit).
        Pending = "pending",
        /// Declined.
        Failed = "failed",
    }
);

stripe_status!(
    /// Where a refund is.
    RefundStatus {
        /// On its way (bank refunds).
        Pending = "pending",
        /// The customer must act first.
        RequiresAction = "requires_action",
        /// Sent back.
        Succeeded = "succeeded",
        /// The bank refused it; the money is back in the balance.
        Failed = "failed",
        /// Canceled before it was sent.
        Canceled = "canceled",
    }
);

stripe_status!(
    /// Where a dispute is.
    DisputeStatus {
        /// An inquiry the business may answer before it becomes a dispute.
        WarningNeedsResponse = "warning_needs_response",
        /// The inquiry's answer is with the bank.
        WarningUnderReview = "warning_under_review",
        /// The inquiry ended without a dispute.
        WarningClosed = "warning_closed",
        /// Evidence is due.
        NeedsResponse = "needs_response",
        /// Evidence submitted; the bank decides.
        UnderReview = "under_review",
        /// Decided for the business: the money came back.
        Won = "won",
        /// Decided for the cardholder (or accepted).
        Lost = "lost",
        /// Prevented before it became a dispute.
        Prevented = "prevented",
    }
);

impl DisputeStatus {
    /// Whether evidence may still be given.
    pub const fn needs_response(self) -> bool {
        matches!(self, Self::NeedsResponse | Self::WarningNeedsResponse)
    }

    /// Whether it is not decided yet (a refund of the charge is refused meanwhile).
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Self::NeedsResponse
                | Self::UnderReview
                | Self::WarningNeedsResponse
                | Self::WarningUnderReview
        )
    }
}

stripe_status!(
    /// Where a payout is.
    PayoutStatus {
        /// Arrived in the bank account.
        Paid = "paid",
        /// Not yet sent to the bank.
        Pending = "pending",
        /// On its way.
        InTransit = "in_transit",
        /// Canceled; the money is back in the balance.
        Canceled = "canceled",
        /// The bank refused it; the money is back in the balance.
        Failed = "failed",
    }
);

stripe_status!(
    /// Whether a balance transaction's money can be paid out yet.
    BalanceStatus {
        /// Can be paid out.
        Available = "available",
        /// Not yet (until `available_on`).
        Pending = "pending",
    }
);

/// A charge: one attempt to take a payment.
#[derive(Clone, Debug, Deserialize)]
pub struct Charge {
    /// `ch_…`.
    pub id: String,
    /// Asked for, in the currency's minor unit.
    pub amount: i64,
    /// Taken.
    pub amount_captured: i64,
    /// Given back so far.
    pub amount_refunded: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Whether it went through.
    pub status: ChargeStatus,
    /// Whether all of it was given back.
    pub refunded: bool,
    /// Whether the cardholder disputed it.
    pub disputed: bool,
    /// `cus_…`; `None` for a charge without a customer.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub customer: Option<String>,
    /// `pi_…`.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub payment_intent: Option<String>,
    /// `txn_…`, or the transaction itself when expanded: where its fee and net are.
    pub balance_transaction: Option<Expandable<BalanceTransaction>>,
    /// What it was for.
    pub description: Option<String>,
    /// Who paid.
    pub billing_details: BillingDetails,
    /// How they paid.
    pub payment_method_details: Option<PaymentMethodDetails>,
    /// Why it was declined.
    pub failure_message: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

/// A charge's payer, as the payment method described them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BillingDetails {
    /// Their email, if given.
    pub email: Option<String>,
    /// Their name, if given.
    pub name: Option<String>,
}

/// How a charge was paid.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentMethodDetails {
    /// Set for card payments.
    pub card: Option<CardDetails>,
}

/// The card a charge was paid with.
#[derive(Clone, Debug, Deserialize)]
pub struct CardDetails {
    /// `visa`, `mastercard`, …
    pub brand: Option<String>,
    /// The last four digits.
    pub last4: Option<String>,
}

/// Money given back from a charge.
#[derive(Clone, Debug, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Where it is.
    pub status: RefundStatus,
    /// `duplicate`, `fraudulent`, `requested_by_customer`, …
    pub reason: Option<String>,
    /// `ch_…`.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub charge: Option<String>,
    /// `txn_…`, or the transaction itself when expanded: the money leaving the balance.
    pub balance_transaction: Option<Expandable<BalanceTransaction>>,
    /// Unix seconds.
    pub created: i64,
}

/// A cardholder's dispute of a charge.
#[derive(Clone, Debug, Deserialize)]
pub struct Dispute {
    /// `du_…`.
    pub id: String,
    /// Disputed, in the currency's minor unit.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Where it is.
    pub status: DisputeStatus,
    /// The cardholder's bank's reason: `fraudulent`, `product_not_received`, …
    pub reason: String,
    /// `ch_…`.
    #[serde(deserialize_with = "super::objects::id_of")]
    pub charge: String,
    /// The evidence given so far: text fields, and file fields as `file_…` ids.
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// When evidence is due and whether any was given.
    pub evidence_details: EvidenceDetails,
    /// The money it withdrew (and reinstated, when won).
    pub balance_transactions: Vec<BalanceTransaction>,
    /// Unix seconds.
    pub created: i64,
}

/// A dispute's deadline and submissions.
#[derive(Clone, Debug, Deserialize)]
pub struct EvidenceDetails {
    /// Unix seconds; `None` once nothing more can be given.
    pub due_by: Option<i64>,
    /// Whether any evidence was saved.
    pub has_evidence: bool,
    /// How many times evidence was submitted.
    pub submission_count: i64,
}

/// Money sent from the Stripe balance to the business's bank account.
#[derive(Clone, Debug, Deserialize)]
pub struct Payout {
    /// `po_…`.
    pub id: String,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Where it is.
    pub status: PayoutStatus,
    /// `standard` or `instant`.
    pub method: String,
    /// Whether Stripe made it on the payout schedule (not by hand).
    pub automatic: bool,
    /// When it arrives (or arrived), unix seconds.
    pub arrival_date: i64,
    /// Why it failed, as a code (`no_account`, …).
    pub failure_code: Option<String>,
    /// Why it failed, in words.
    pub failure_message: Option<String>,
    /// What it says.
    pub description: Option<String>,
    /// `txn_…`, or the transaction itself when expanded: the money leaving the balance.
    pub balance_transaction: Option<Expandable<BalanceTransaction>>,
    /// Unix seconds.
    pub created: i64,
}

/// One movement of the Stripe balance.
#[derive(Clone, Debug, Deserialize)]
pub struct BalanceTransaction {
    /// `txn_…`.
    pub id: String,
    /// `charge`, `refund`, `adjustment`, `payout`, `stripe_fee`, `transfer`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Stripe's grouping for reports: `charge`, `refund`, `dispute`, `payout`, `fee`, …
    pub reporting_category: String,
    /// Gross, in the currency's minor unit (negative when money left).
    pub amount: i64,
    /// Stripe's fees on it.
    pub fee: i64,
    /// `amount - fee`.
    pub net: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Whether it can be paid out yet.
    pub status: BalanceStatus,
    /// When it can be, unix seconds.
    pub available_on: i64,
    /// The object that moved the money (`ch_…`, `re_…`, `du_…`, `po_…`).
    #[serde(default, deserialize_with = "optional_id_of")]
    pub source: Option<String>,
    /// Stripe's description.
    pub description: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

/// An uploaded file (dispute evidence).
#[derive(Clone, Debug, Deserialize)]
pub struct File {
    /// `file_…`.
    pub id: String,
    /// What it is for.
    pub purpose: String,
    /// The uploader's name for it.
    pub filename: Option<String>,
    /// In bytes.
    pub size: i64,
}

/// The Stripe balance: what can be paid out now and what will be, per currency.
#[derive(Clone, Debug, Deserialize)]
pub struct Balance {
    /// Can be paid out now.
    pub available: Vec<BalanceAmount>,
    /// Not yet available.
    pub pending: Vec<BalanceAmount>,
}

/// One currency's part of the balance.
#[derive(Clone, Debug, Deserialize)]
pub struct BalanceAmount {
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
}

macro_rules! has_ids {
    ($($kind:ty),*) => {
        $(impl HasId for $kind {
            fn id(&self) -> &str {
                &self.id
            }
        }
        impl HasListId for $kind {
            fn list_id(&self) -> &str {
                &self.id
            }
        })*
    };
}
has_ids!(Charge, Refund, Dispute, Payout, BalanceTransaction);

impl Charge {
    /// The fee and net of its balance transaction, when it was expanded.
    pub fn fee_and_net(&self) -> Option<(i64, i64)> {
        let transaction = self.balance_transaction.as_ref()?.object()?;
        Some((transaction.fee, transaction.net))
    }
}

impl StripeClient {
    /// One charge, its balance transaction expanded.
    pub async fn charge(&self, id: &str) -> Result<Charge, StripeError> {
        self.get(
            &format!("/v1/charges/{}", segment(id)),
            &Form::new().set("expand[]", "balance_transaction"),
        )
        .await
    }

    /// Every charge, each with its balance transaction.
    pub async fn charges(&self) -> Result<Vec<Charge>, StripeError> {
        self.list_all(
            "/v1/charges",
            &Form::new().set("expand[]", "data.balance_transaction"),
        )
        .await
    }

    /// Every refund of a charge.
    pub async fn refunds_of(&self, charge: &str) -> Result<Vec<Refund>, StripeError> {
        self.list_all(
            "/v1/refunds",
            &Form::new()
                .set("charge", charge)
                .set("expand[]", "data.balance_transaction"),
        )
        .await
    }

    /// One refund.
    pub async fn refund(&self, id: &str) -> Result<Refund, StripeError> {
        self.get(&format!("/v1/refunds/{}", segment(id)), &Form::new())
            .await
    }

    /// Refunds `amount` of a charge.
    pub async fn create_refund(
        &self,
        charge: &str,
        amount: i64,
        reason: &str,
        key: &str,
    ) -> Result<Answered<Refund>, StripeError> {
        let form = Form::new()
            .set("charge", charge)
            .set("amount", amount)
            .set("reason", reason);
        self.post_answered("/v1/refunds", &form, key).await
    }

    /// One dispute.
    pub async fn dispute(&self, id: &str) -> Result<Dispute, StripeError> {
        self.get(&format!("/v1/disputes/{}", segment(id)), &Form::new())
            .await
    }

    /// Every dispute.
    pub async fn disputes(&self) -> Result<Vec<Dispute>, StripeError> {
        self.list_all("/v1/disputes", &Form::new()).await
    }

    /// Saves evidence on a dispute (`evidence[…]` text fields and file ids); with `submit`,
    /// submits it to the bank (it can then no longer change).
    pub async fn update_dispute(
        &self,
        id: &str,
        evidence: &[(&str, &str)],
        submit: bool,
        key: &str,
    ) -> Result<Answered<Dispute>, StripeError> {
        let form = evidence
            .iter()
            .fold(Form::new().set("submit", submit), |form, (field, value)| {
                form.set(format!("evidence[{field}]"), value)
            });
        self.post_answered(&format!("/v1/disputes/{}", segment(id)), &form, key)
            .await
    }

    /// Accepts a dispute: it is lost, and closed.
    pub async fn close_dispute(
        &self,
        id: &str,
        key: &str,
    ) -> Result<Answered<Dispute>, StripeError> {
        self.post_answered(
            &format!("/v1/disputes/{}/close", segment(id)),
            &Form::new(),
            key,
        )
        .await
    }

    /// Uploads a file (on Stripe's files host).
    pub async fn upload_file(
        &self,
        upload: &super::Upload<'_>,
        key: &str,
    ) -> Result<Answered<File>, StripeError> {
        self.upload(upload, key).await
    }

    /// One payout.
    pub async fn payout(&self, id: &str) -> Result<Payout, StripeError> {
        self.get(
            &format!("/v1/payouts/{}", segment(id)),
            &Form::new().set("expand[]", "balance_transaction"),
        )
        .await
    }

    /// Every payout, each with its balance transaction.
    pub async fn payouts(&self) -> Result<Vec<Payout>, StripeError> {
        self.list_all(
            "/v1/payouts",
            &Form::new().set("expand[]", "data.balance_transaction"),
        )
        .await
    }

    /// Pays `amount` of the available balance out to the bank account.
    pub async fn create_payout(
        &self,
        amount: i64,
        currency: &str,
        key: &str,
    ) -> Result<Answered<Payout>, StripeError> {
        let form = Form::new().set("amount", amount).set("currency", currency);
        self.post_answered("/v1/payouts", &form, key).await
    }

    /// The balance now.
    pub async fn balance(&self) -> Result<Balance, StripeError> {
        self.get("/v1/balance", &Form::new()).await
    }

    /// Every balance transaction.
    pub async fn balance_transactions(&self) -> Result<Vec<BalanceTransaction>, StripeError> {
        self.list_all("/v1/balance_transactions", &Form::new())
            .await
    }
}
