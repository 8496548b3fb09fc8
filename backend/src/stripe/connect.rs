//! Stripe Connect, as the partner program uses it: connected accounts (created for Stripe's
//! hosted onboarding or for the app's own form), Account Links, bank-account tokens and external
//! accounts, the payout schedule, Transfers and their reversals. Calls on a connected account's
//! own balance and payouts go through [`StripeClient::for_account`].
//! <https://docs.stripe.com/connect/accounts>

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{client::Answered, endpoints::segment, objects::List, Form, StripeClient, StripeError};

stripe_status!(
    /// How often Stripe pays a connected account's available balance out to its bank
    /// (`settings.payouts.schedule.interval`); `manual`: only when asked.
    PayoutInterval {
        /// Only when a payout is created.
        Manual = "manual",
        /// Every day.
        Daily = "daily",
        /// Every week.
        Weekly = "weekly",
        /// Every month.
        Monthly = "monthly",
    }
);

impl PayoutInterval {
    /// Every interval, in the order a form offers them.
    pub const ALL: [Self; 4] = [Self::Manual, Self::Daily, Self::Weekly, Self::Monthly];
}

/// A connected account: what it may do and what Stripe still needs from its owner.
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    /// `acct_…`.
    pub id: String,
    /// Whether it has given Stripe what onboarding asks.
    #[serde(default)]
    pub details_submitted: bool,
    /// Whether it can take payments.
    #[serde(default)]
    pub charges_enabled: bool,
    /// Whether Stripe pays its balance out.
    #[serde(default)]
    pub payouts_enabled: bool,
    /// Capability name → `active`, `inactive` or `pending`.
    #[serde(default)]
    pub capabilities: BTreeMap<String, String>,
    /// What Stripe still needs.
    #[serde(default)]
    pub requirements: Option<Requirements>,
    /// Its settings (the payout schedule).
    #[serde(default)]
    pub settings: Option<AccountSettings>,
    /// Its bank accounts.
    #[serde(default)]
    pub external_accounts: Option<List<BankAccount>>,
    /// `controller.stripe_dashboard.type`, `controller.requirement_collection`.
    #[serde(default)]
    pub controller: Option<serde_json::Value>,
}

/// What Stripe needs from an account's owner.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Requirements {
    /// Needed now (`individual.dob.day`, `external_account`, `tos_acceptance.date`, …).
    #[serde(default)]
    pub currently_due: Vec<String>,
    /// Why the account is disabled, if it is.
    #[serde(default)]
    pub disabled_reason: Option<String>,
}

/// The settings the partner program reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountSettings {
    /// `settings.payouts`.
    #[serde(default)]
    pub payouts: Option<PayoutSettings>,
}

/// `settings.payouts`.
#[derive(Clone, Debug, Deserialize)]
pub struct PayoutSettings {
    /// `schedule`.
    pub schedule: PayoutSchedule,
}

/// `settings.payouts.schedule`.
#[derive(Clone, Debug, Deserialize)]
pub struct PayoutSchedule {
    /// How often.
    pub interval: PayoutInterval,
}

impl Account {
    /// Whether transfers can be made to it (its `transfers` capability is active).
    pub fn takes_transfers(&self) -> bool {
        self.capabilities.get("transfers").map(String::as_str) == Some("active")
    }

    /// What Stripe still needs now.
    pub fn currently_due(&self) -> &[String] {
        self.requirements
            .as_ref()
            .map_or(&[], |requirements| requirements.currently_due.as_slice())
    }

    /// Its payout schedule (daily when Stripe does not say).
    pub fn payout_interval(&self) -> PayoutInterval {
        self.settings
            .as_ref()
            .and_then(|settings| settings.payouts.as_ref())
            .map_or(PayoutInterval::Daily, |payouts| payouts.schedule.interval)
    }

    /// The bank account payouts go to: the default one, else the first.
    pub fn bank_account(&self) -> Option<&BankAccount> {
        let accounts = &self.external_accounts.as_ref()?.data;
        accounts
            .iter()
            .find(|account| account.default_for_currency)
            .or_else(|| accounts.first())
    }
}

/// A connected account's bank account (an external account).
#[derive(Clone, Debug, Deserialize)]
pub struct BankAccount {
    /// `ba_…`.
    pub id: String,
    /// `STRIPE TEST BANK`, …
    pub bank_name: Option<String>,
    /// The account number's last four digits.
    pub last4: String,
    /// Whether payouts in its currency go here.
    #[serde(default)]
    pub default_for_currency: bool,
}

/// A one-time link into Stripe's hosted onboarding.
#[derive(Clone, Debug, Deserialize)]
pub struct AccountLink {
    /// Where to send the partner.
    pub url: String,
    /// When it stops working (unix seconds).
    pub expires_at: i64,
}

/// A bank-account token (`btok_…`).
#[derive(Clone, Debug, Deserialize)]
pub struct Token {
    /// `btok_…`.
    pub id: String,
}

/// Money moved from the platform's balance to a connected account.
#[derive(Clone, Debug, Deserialize)]
pub struct Transfer {
    /// `tr_…`.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// What has been reversed of it.
    #[serde(default)]
    pub amount_reversed: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// The connected account.
    #[serde(deserialize_with = "super::objects::id_of")]
    pub destination: String,
    /// The group it was made in (the pay run's period).
    pub transfer_group: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

/// A transfer (partly) taken back from the connected account.
#[derive(Clone, Debug, Deserialize)]
pub struct TransferReversal {
    /// `trr_…`.
    pub id: String,
    /// Minor units.
    pub amount: i64,
}

/// Who a new connected account belongs to, and how it is onboarded.
#[derive(Clone, Debug)]
pub struct NewAccount<'a> {
    /// The partner's email.
    pub email: &'a str,
    /// Two-letter country code.
    pub country: &'a str,
    /// Our user id, kept in the account's metadata.
    pub user: uuid::Uuid,
}

/// What the app's own onboarding form collects for a custom account.
#[derive(Clone, Debug)]
pub struct PlatformOnboarding<'a> {
    /// Legal first name.
    pub first_name: &'a str,
    /// Legal last name.
    pub last_name: &'a str,
    /// Date of birth.
    pub dob: time::Date,
    /// When the partner accepted Stripe's terms (unix seconds) …
    pub tos_date: i64,
    /// … and from where (their IP address).
    pub tos_ip: &'a str,
    /// What the account does, as Stripe asks.
    pub product_description: &'a str,
}

/// A bank account as the form collects it.
#[derive(Clone, Debug)]
pub struct NewBankAccount<'a> {
    /// Two-letter country code.
    pub country: &'a str,
    /// Lower-case ISO currency.
    pub currency: &'a str,
    /// The holder's name.
    pub holder_name: &'a str,
    /// The routing number.
    pub routing_number: &'a str,
    /// The account number.
    pub account_number: &'a str,
}

impl StripeClient {
    /// Creates an account for Stripe's hosted onboarding, with controller properties: Stripe
    /// collects the requirements and the partner gets the Express dashboard; the platform pays
    /// the fees and carries losses; only the `transfers` capability is requested.
    pub async fn create_hosted_account(
        &self,
        account: &NewAccount<'_>,
        key: &str,
    ) -> Result<Account, StripeError> {
        let form = Form::new()
            .set("country", account.country)
            .set("email", account.email)
            .set("controller[fees][payer]", "application")
            .set("controller[losses][payments]", "application")
            .set("controller[requirement_collection]", "stripe")
            .set("controller[stripe_dashboard][type]", "express")
            .set("capabilities[transfers][requested]", true)
            .set("metadata[tollgate_user]", account.user);
        self.post("/v1/accounts", &form, key).await
    }

    /// Creates a custom account from the app's own form: the individual, their acceptance of
    /// Stripe's terms (date and IP), payouts on a manual schedule until they choose one.
    pub async fn create_platform_account(
        &self,
        account: &NewAccount<'_>,
        onboarding: &PlatformOnboarding<'_>,
        key: &str,
    ) -> Result<Account, StripeError> {
        let form = Form::new()
            .set("type", "custom")
            .set("country", account.country)
            .set("email", account.email)
            .set("business_type", "individual")
            .set("individual[first_name]", onboarding.first_name)
            .set("individual[last_name]", onboarding.last_name)
            .set("individual[email]", account.email)
            .set("individual[dob][day]", onboarding.dob.day())
            .set("individual[dob][month]", u8::from(onboarding.dob.month()))
            .set("individual[dob][year]", onboarding.dob.year())
            .set(
                "business_profile[product_description]",
                onboarding.product_description,
            )
            .set("tos_acceptance[date]", onboarding.tos_date)
            .set("tos_acceptance[ip]", onboarding.tos_ip)
            .set("capabilities[transfers][requested]", true)
            .set("metadata[tollgate_user]", account.user);
        self.post("/v1/accounts", &form, key).await
    }

    /// A bank-account token for `bank` (`btok_…`).
    pub async fn bank_account_token(
        &self,
        bank: &NewBankAccount<'_>,
        key: &str,
    ) -> Result<Token, StripeError> {
        let form = Form::new()
            .set("bank_account[country]", bank.country)
            .set("bank_account[currency]", bank.currency)
            .set("bank_account[account_holder_name]", bank.holder_name)
            .set("bank_account[account_holder_type]", "individual")
            .set("bank_account[routing_number]", bank.routing_number)
            .set("bank_account[account_number]", bank.account_number);
        self.post("/v1/tokens", &form, key).await
    }

    /// Adds the tokenised bank account to `account` as its default external account.
    pub async fn add_external_account(
        &self,
        account: &str,
        token: &str,
        key: &str,
    ) -> Result<BankAccount, StripeError> {
        let form = Form::new()
            .set("external_account", token)
            .set("default_for_currency", true);
        self.post(
            &format!("/v1/accounts/{}/external_accounts", segment(account)),
            &form,
            key,
        )
        .await
    }

    /// A connected account as Stripe has it now.
    pub async fn account(&self, id: &str) -> Result<Account, StripeError> {
        self.get(&format!("/v1/accounts/{}", segment(id)), &Form::new())
            .await
    }

    /// A link into hosted onboarding for `account`; Stripe sends the partner to `return_url`
    /// when they are done and to `refresh_url` when the link expired or was used.
    pub async fn account_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
        key: &str,
    ) -> Result<AccountLink, StripeError> {
        let form = Form::new()
            .set("account", account)
            .set("type", "account_onboarding")
            .set("refresh_url", refresh_url)
            .set("return_url", return_url);
        self.post("/v1/account_links", &form, key).await
    }

    /// Sets how often Stripe pays `account`'s balance out.
    pub async fn set_payout_interval(
        &self,
        account: &str,
        interval: PayoutInterval,
        key: &str,
    ) -> Result<Account, StripeError> {
        let mut form = Form::new().set("settings[payouts][schedule][interval]", interval.as_str());
        form = match interval {
            PayoutInterval::Weekly => {
                form.set("settings[payouts][schedule][weekly_anchor]", "monday")
            }
            PayoutInterval::Monthly => form.set("settings[payouts][schedule][monthly_anchor]", 1),
            PayoutInterval::Manual | PayoutInterval::Daily => form,
        };
        self.post(&format!("/v1/accounts/{}", segment(account)), &form, key)
            .await
    }

    /// Moves `amount` of the platform's available balance to `destination`.
    pub async fn create_transfer(
        &self,
        destination: &str,
        amount: i64,
        currency: &str,
        transfer_group: &str,
        key: &str,
    ) -> Result<Answered<Transfer>, StripeError> {
        let form = Form::new()
            .set("destination", destination)
            .set("amount", amount)
            .set("currency", currency)
            .set("transfer_group", transfer_group)
            .set("description", "Partner commissions");
        self.post_answered("/v1/transfers", &form, key).await
    }

    /// A transfer as Stripe has it now.
    pub async fn transfer(&self, id: &str) -> Result<Transfer, StripeError> {
        self.get(&format!("/v1/transfers/{}", segment(id)), &Form::new())
            .await
    }

    /// Takes `amount` of a transfer back from its connected account.
    pub async fn reverse_transfer(
        &self,
        transfer: &str,
        amount: i64,
        key: &str,
    ) -> Result<TransferReversal, StripeError> {
        let form = Form::new().set("amount", amount).set(
            "description",
            "Commission taken back: the payment was refunded or lost",
        );
        self.post(
            &format!("/v1/transfers/{}/reversals", segment(transfer)),
            &form,
            key,
        )
        .await
    }

    /// The newest payouts (of the account this client acts for).
    pub async fn recent_payouts(
        &self,
        limit: u32,
    ) -> Result<Vec<super::payments::Payout>, StripeError> {
        let page: List<super::payments::Payout> = self
            .get("/v1/payouts", &Form::new().set("limit", limit))
            .await?;
        Ok(page.data)
    }
}
