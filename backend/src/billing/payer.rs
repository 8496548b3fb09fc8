//! [`Payer`]: whom billing acts for — a person's own account, or an organization, with the person
//! acting for it.
//!
//! Every billing row belongs to a billing account (`billing_accounts`), whose id is its holder's:
//! the user's id for personal billing, the organization's for a team. Pages and server functions
//! resolve the payer once per request (the current organization the session names, if the user is
//! still a member of it) and pass it down; entitlements are the payer's.

use uuid::Uuid;

use crate::{auth::User, organizations::Acting};

/// Whom billing acts for, and who is acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payer {
    /// The person acting: who started Checkout, whose address and trial history count.
    pub actor: User,
    /// The organization acted for, with the actor's role in it; `None` for personal billing.
    pub organization: Option<Acting>,
}

impl Payer {
    /// The person's own billing.
    pub fn personal(actor: User) -> Self {
        Self {
            actor,
            organization: None,
        }
    }

    /// The billing account's id (`billing_accounts.id`): the organization's, else the person's.
    pub fn account_id(&self) -> Uuid {
        self.organization
            .as_ref()
            .map_or(self.actor.id, |acting| acting.organization_id)
    }

    /// The name invoices carry: the organization's, else the person's display name.
    pub fn name(&self) -> Option<&str> {
        match &self.organization {
            Some(acting) => Some(&acting.name),
            None => self.actor.display_name.as_deref(),
        }
    }

    /// Whether the actor may start, change or cancel the payer's plans and open its portal: always
    /// for personal billing, owners only for an organization.
    pub fn manages_billing(&self) -> bool {
        self.organization
            .as_ref()
            .is_none_or(|acting| acting.role.manages_billing())
    }
}
