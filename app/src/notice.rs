//! [`Notice`]: the one-line confirmations a page shows after an action, carried in the URL it
//! redirects to (`/account?notice=plan-resumed`). Produced with [`Notice::href`], read back with
//! [`Notice::shown_on`]; the code in the URL and the sentence on the page live only here.

/// A confirmation shown on one page after an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The display name was saved.
    NameSaved,
    /// A link to confirm a new address was sent.
    EmailSent,
    /// The new address was confirmed.
    EmailChanged,
    /// The address confirmation link was sent again.
    ConfirmationSent,
    /// The address was confirmed.
    EmailConfirmed,
    /// The password was changed (other sessions ended).
    PasswordChanged,
    /// An email link was invalid, used or expired.
    LinkInvalid,
    /// The plan was set to cancel at period end.
    PlanCanceled,
    /// A paused plan was ended at once.
    PlanEnded,
    /// A cancellation was undone.
    PlanResumed,
    /// A plan change was paid and applied.
    PlanChanged,
    /// A plan change waits for its invoice to be paid.
    PlanChangeAwaitsPayment,
    /// Development: the emulator's clock moved.
    ClockMoved,
    /// Checkout refused: the user has a subscription.
    AlreadySubscribed,
    /// Checkout refused: the price is not for sale.
    Unavailable,
    /// Checkout could not start.
    CheckoutFailed,
    /// The password was reset by email.
    PasswordReset,
    /// Every session was signed out.
    SignedOutEverywhere,
    /// The account was deleted (the home page says nothing more).
    AccountDeleted,
    /// Console: a payment was refunded.
    Refunded,
    /// Console: a payout was sent.
    PaidOut,
    /// Console: a dispute's evidence was saved as a draft.
    EvidenceSaved,
    /// Console: a dispute's evidence was submitted.
    EvidenceSubmitted,
    /// Console: a dispute was accepted.
    DisputeAccepted,
    /// Console: a failed event was queued to be applied again.
    EventQueued,
    /// Console: a customer's subscription was canceled.
    SubscriptionCanceledByAdmin,
    /// Back from Stripe's onboarding: the account's status was read again.
    StripeAccountChecked,
    /// Stripe's onboarding could not be opened.
    OnboardingUnavailable,
    /// A partner's payout schedule was changed.
    PayoutScheduleSaved,
    /// A partner paid their balance out.
    PartnerPaidOut,
    /// Checkout refused: only an organization's owners choose its plan.
    OwnersOnly,
    /// An organization was created (its creator acts for it now).
    OrganizationCreated,
    /// An invitation was mailed.
    MemberInvited,
    /// An invitation was withdrawn.
    InvitationRevoked,
    /// A member's role was changed.
    RoleChanged,
    /// Ownership was handed over (the former owner is an admin).
    OwnershipTransferred,
    /// A member was removed.
    MemberRemoved,
    /// An invitation was accepted.
    JoinedOrganization,
    /// The user left an organization.
    LeftOrganization,
    /// An organization was deleted (its subscription canceled first).
    OrganizationDeleted,
    /// The user switched whom they act for.
    AccountSwitched,
    /// A downgrade was scheduled for the renewal.
    ChangeScheduled,
    /// A scheduled change was undone.
    ScheduledChangeUndone,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Self; 43] = [
        Self::NameSaved,
        Self::EmailSent,
        Self::EmailChanged,
        Self::ConfirmationSent,
        Self::EmailConfirmed,
        Self::PasswordChanged,
        Self::LinkInvalid,
        Self::PlanCanceled,
        Self::PlanEnded,
        Self::PlanResumed,
        Self::PlanChanged,
        Self::PlanChangeAwaitsPayment,
        Self::ClockMoved,
        Self::AlreadySubscribed,
        Self::Unavailable,
        Self::CheckoutFailed,
        Self::PasswordReset,
        Self::SignedOutEverywhere,
        Self::AccountDeleted,
        Self::Refunded,
        Self::PaidOut,
        Self::EvidenceSaved,
        Self::EvidenceSubmitted,
        Self::DisputeAccepted,
        Self::EventQueued,
        Self::SubscriptionCanceledByAdmin,
        Self::StripeAccountChecked,
        Self::OnboardingUnavailable,
        Self::PayoutScheduleSaved,
        Self::PartnerPaidOut,
        Self::OwnersOnly,
        Self::OrganizationCreated,
        Self::MemberInvited,
        Self::InvitationRevoked,
        Self::RoleChanged,
        Self::OwnershipTransferred,
        Self::MemberRemoved,
        Self::JoinedOrganization,
        Self::LeftOrganization,
        Self::OrganizationDeleted,
        Self::AccountSwitched,
        Self::ChangeScheduled,
        Self::ScheduledChangeUndone,
    ];

    /// Its code in the query string.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NameSaved => "name-saved",
            Self::EmailSent => "email-sent",
            Self::EmailChanged => "email-changed",
            Self::ConfirmationSent => "confirmation-sent",
            Self::EmailConfirmed => "email-confirmed",
            Self::PasswordChanged => "password-changed",
            Self::LinkInvalid => "link-invalid",
            Self::PlanCanceled => "plan-canceled",
            Self::PlanEnded => "plan-ended",
            Self::PlanResumed => "plan-resumed",
            Self::PlanChanged => "plan-changed",
            Self::PlanChangeAwaitsPayment => "plan-change-awaits-payment",
            Self::ClockMoved => "clock-moved",
            Self::AlreadySubscribed => "already-subscribed",
            Self::Unavailable => "unavailable",
            Self::CheckoutFailed => "checkout-failed",
            Self::PasswordReset => "password-reset",
            Self::SignedOutEverywhere => "signed-out-everywhere",
            Self::AccountDeleted => "account-deleted",
            Self::Refunded => "refunded",
            Self::PaidOut => "paid-out",
            Self::EvidenceSaved => "evidence-saved",
            Self::EvidenceSubmitted => "evidence-submitted",
            Self::DisputeAccepted => "dispute-accepted",
            Self::EventQueued => "event-queued",
            Self::SubscriptionCanceledByAdmin => "subscription-canceled",
            Self::StripeAccountChecked => "stripe-account-checked",
            Self::OnboardingUnavailable => "onboarding-unavailable",
            Self::PayoutScheduleSaved => "payout-schedule-saved",
            Self::PartnerPaidOut => "partner-paid-out",
            Self::OwnersOnly => "owners-only",
            Self::OrganizationCreated => "organization-created",
            Self::MemberInvited => "member-invited",
            Self::InvitationRevoked => "invitation-revoked",
            Self::RoleChanged => "role-changed",
            Self::OwnershipTransferred => "ownership-transferred",
            Self::MemberRemoved => "member-removed",
            Self::JoinedOrganization => "joined-organization",
            Self::LeftOrganization => "left-organization",
            Self::OrganizationDeleted => "organization-deleted",
            Self::AccountSwitched => "account-switched",
            Self::ChangeScheduled => "change-scheduled",
            Self::ScheduledChangeUndone => "scheduled-change-undone",
        }
    }

    /// The page that shows it.
    pub const fn page(self) -> &'static str {
        match self {
            Self::AlreadySubscribed | Self::Unavailable | Self::CheckoutFailed => "/pricing",
            Self::PasswordReset | Self::SignedOutEverywhere => "/signin",
            Self::AccountDeleted => "/",
            // Shown on one payment's page, `/admin/payments/ch_…`.
            Self::Refunded => "/admin/payments",
            Self::PaidOut => "/admin/payouts",
            // Shown on one dispute's page, `/admin/disputes/du_…`.
            Self::EvidenceSaved | Self::EvidenceSubmitted | Self::DisputeAccepted => {
                "/admin/disputes"
            }
            // Shown on one event's page, `/admin/events/evt_…`.
            Self::EventQueued => "/admin/events",
            // Shown on one customer's page, `/admin/customers/cus_…`.
            Self::SubscriptionCanceledByAdmin => "/admin/customers",
            Self::StripeAccountChecked
            | Self::OnboardingUnavailable
            | Self::PayoutScheduleSaved
            | Self::PartnerPaidOut => "/partners",
            Self::OwnersOnly => "/pricing",
            Self::OrganizationCreated
            | Self::MemberInvited
            | Self::InvitationRevoked
            | Self::RoleChanged
            | Self::OwnershipTransferred
            | Self::MemberRemoved
            | Self::JoinedOrganization => "/organization",
            _ => "/account",
        }
    }

    /// Where an action that ends with it redirects: its page, with the code.
    pub fn href(self) -> String {
        format!("{}?notice={}", self.page(), self.code())
    }

    /// Where an action on one object ends, for the notices shown on an object's own page
    /// (`/admin/payments/ch_…`): that page, with the code.
    pub fn href_for(self, id: &str) -> String {
        format!("{}/{id}?notice={}", self.page(), self.code())
    }

    /// What the page says.
    pub const fn sentence(self) -> &'static str {
        match self {
            Self::NameSaved => "Your display name is saved.",
            Self::EmailSent => "We sent a confirmation link to the new address. Your email changes once you follow it.",
            Self::EmailChanged => "Your email address is changed.",
            Self::ConfirmationSent => "We sent the link that confirms your address again.",
            Self::EmailConfirmed => "Your email address is confirmed: a free trial can start without a card.",
            Self::PasswordChanged => "Your password is changed. Your other devices have been signed out.",
            Self::LinkInvalid => "That link is invalid, already used or expired.",
            Self::PlanCanceled => "Your plan is canceled. It stays yours until the end of the period; you can resume it until then.",
            Self::PlanEnded => "Your plan has ended. Nothing was charged.",
            Self::PlanResumed => "Your plan continues. Nothing else changes.",
            Self::PlanChanged => "Your plan is changed. Any difference is on a new invoice below.",
            Self::PlanChangeAwaitsPayment => "Your card was declined, so your plan has not changed yet. Update your card to complete the change.",
            Self::ClockMoved => "The emulator's clock moved forward, and what fell due has happened.",
            Self::AlreadySubscribed => "You already have a subscription. Change or cancel it from your account page.",
            Self::Unavailable => "That plan is not available any more. Please pick another one.",
            Self::CheckoutFailed => "We could not start the checkout. Please try again in a moment.",
            Self::PasswordReset => "Your password is changed. Sign in with the new one.",
            Self::SignedOutEverywhere => "You are signed out on every device.",
            Self::AccountDeleted => "Your account is deleted.",
            Self::Refunded => "The refund is made. The customer sees it on their statement in 5–10 days.",
            Self::PaidOut => "The payout is on its way to your bank account. It shows below until it arrives.",
            Self::EvidenceSaved => "The evidence is saved as a draft. Nothing is sent to the bank until you submit it.",
            Self::EvidenceSubmitted => "The evidence is submitted. The bank decides; the outcome shows here.",
            Self::DisputeAccepted => "The dispute is accepted: it is closed, and the amount stays with the cardholder.",
            Self::EventQueued => "The event is queued: the webhook workers apply it again now.",
            Self::SubscriptionCanceledByAdmin => "The subscription is canceled as chosen. The customer gets the usual email when it ends.",
            Self::StripeAccountChecked => "Welcome back. Your Stripe account's status is below.",
            Self::OnboardingUnavailable => "We could not open Stripe's onboarding. Please try again in a moment.",
            Self::PayoutScheduleSaved => "Your payout schedule is saved.",
            Self::PartnerPaidOut => "Your balance is on its way to your bank account.",
            Self::OwnersOnly => "Only the organization's owners choose its plan. Ask an owner, or switch to your personal account.",
            Self::OrganizationCreated => "Your organization is created, and you act for it now. Invite your team below.",
            Self::MemberInvited => "The invitation is on its way. The link works once, for 7 days.",
            Self::InvitationRevoked => "The invitation is withdrawn: its link no longer works.",
            Self::RoleChanged => "The role is changed.",
            Self::OwnershipTransferred => "Ownership is handed over. You are an admin now.",
            Self::MemberRemoved => "The member is removed. A per-seat plan bills one seat less from the next invoice.",
            Self::JoinedOrganization => "Welcome aboard: you are a member, and you act for the organization now.",
            Self::LeftOrganization => "You left the organization. You act for your personal account now.",
            Self::OrganizationDeleted => "The organization is deleted, and its subscription canceled.",
            Self::AccountSwitched => "You act for the account shown above now.",
            Self::ChangeScheduled => "Your plan changes at the end of the current period. Until then nothing changes, and you can undo it below.",
            Self::ScheduledChangeUndone => "The scheduled change is undone: your plan renews as it is.",
        }
    }

    /// The notice `code` names, if `page` shows it (a code meant for another page, or made up,
    /// shows nothing).
    pub fn shown_on(page: &str, code: Option<&str>) -> Option<Self> {
        let code = code?;
        Self::ALL
            .into_iter()
            .find(|notice| notice.code() == code && notice.page() == page)
    }

    /// The notice in the current URL's `notice` parameter, if `page` shows it.
    pub fn in_url(page: &str) -> Option<Self> {
        use leptos::prelude::GetUntracked;
        let query = leptos_router::hooks::use_query_map().get_untracked();
        Self::shown_on(page, query.get_str("notice"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_reads_back_from_the_url_it_redirects_to_on_its_own_page_only() {
        for notice in Notice::ALL {
            let href = notice.href();
            let (page, code) = href.split_once("?notice=").unwrap();
            assert_eq!(Notice::shown_on(page, Some(code)), Some(notice), "{href}");
            assert_eq!(Notice::shown_on("/elsewhere", Some(code)), None);
        }
        assert_eq!(Notice::shown_on("/account", Some("made-up")), None);
        assert_eq!(Notice::shown_on("/account", None), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = Notice::ALL.into_iter().map(Notice::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Notice::ALL.len());
    }

    #[test]
    fn the_plan_notices_keep_their_urls_and_sentences() {
        assert_eq!(Notice::PlanResumed.href(), "/account?notice=plan-resumed");
        assert_eq!(
            Notice::Refunded.href_for("ch_1"),
            "/admin/payments/ch_1?notice=refunded"
        );
        assert_eq!(
            Notice::AlreadySubscribed.href(),
            "/pricing?notice=already-subscribed"
        );
        assert_eq!(
            Notice::PlanEnded.sentence(),
            "Your plan has ended. Nothing was charged."
        );
    }
}
