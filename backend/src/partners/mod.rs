//! The partner program: any user may become a partner and gets a referral code; an account that
//! signs up through a partner's link (`/?ref=CODE`, which the server remembers for 60 days in a
//! cookie) records who referred it — never itself. `PARTNERS_ENABLED` turns the program on.
//!
//! - [`commissions`]: what each paid invoice of a referred account earns its partner.
//! - [`accounts`]: the partner's connected Stripe account — onboarding, status, payout
//!   schedule, its own balance and payouts.
//! - [`payrun`]: the pay run that transfers what is payable; [`transfers`]: one transfer.
//! - [`takebacks`]: commissions taken back by refunds and lost disputes, and their reversals.
//! - [`error`]: the partner program's error, [`PartnerError`].

pub mod accounts;
pub mod commissions;
mod error;
pub mod payrun;
pub mod takebacks;
pub mod transfers;

pub use error::PartnerError;

use anyhow::Context;
use rand::Rng;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// How long a referral link is remembered, in seconds (60 days).
pub const REFERRAL_COOKIE_MAX_AGE: i64 = 60 * 24 * 3600;

/// The name of the cookie that remembers a referral link.
pub const REFERRAL_COOKIE: &str = "tollgate_ref";

/// A referral code as links carry it: 8 lower-case letters and digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralCode(String);

impl ReferralCode {
    /// `text`, if it has the shape of a code.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (text.len() == 8
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        .then(|| Self(text.to_owned()))
    }

    /// A new random code.
    fn random() -> Self {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut rng = rand::rng();
        Self(
            (0..8)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    /// As links carry it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partner's standing: their code, and what their link brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    /// Their referral code.
    pub code: ReferralCode,
    /// Accounts that signed up through their link.
    pub referred_signups: i64,
    /// Of those, how many hold a plan now (trialing, active or behind on payment).
    pub referred_subscribers: i64,
}

/// `user`'s partner standing, if they are one.
pub async fn of_user(db: impl PgExecutor<'_>, user: Uuid) -> Result<Option<Partner>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT p.code,
               (SELECT count(*) FROM users r WHERE r.referred_by = p.user_id) AS "signups!",
               (SELECT count(DISTINCT r.id) FROM users r
                JOIN subscriptions s ON s.account_id = r.id
                WHERE r.referred_by = p.user_id
                  AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused'))
                   AS "subscribers!"
        FROM partners p WHERE p.user_id = $1
        "#,
        user
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Partner {
        code: ReferralCode(row.code),
        referred_signups: row.signups,
        referred_subscribers: row.subscribers,
    }))
}

/// Makes `user` a partner (a second call changes nothing); their standing.
pub async fn join(db: &PgPool, user: Uuid) -> anyhow::Result<Partner> {
    // A clash of two random codes is rare; another draw settles it.
    for _ in 0..5 {
        let code = ReferralCode::random();
        let inserted = sqlx::query!(
            r#"
            INSERT INTO partners (user_id, code) VALUES ($1, $2)
            ON CONFLICT DO NOTHING
            "#,
            user,
            code.as_str()
        )
        .execute(db)
        .await
        .context("storing the partner")?;
        let partner = of_user(db, user)
            .await
            .context("reading the partner back")?;
        if let Some(partner) = partner {
            return Ok(partner);
        }
        if inserted.rows_affected() == 1 {
            anyhow::bail!("the partner stored was not found again");
        }
    }
    anyhow::bail!("no free referral code after five draws")
}

/// Records that the new account `user` was referred by the partner whose code is `code`, if
/// there is one and it is not the account itself. Whether it was recorded.
pub async fn record_referral(
    db: impl PgExecutor<'_>,
    user: Uuid,
    code: &ReferralCode,
) -> Result<bool, sqlx::Error> {
    let recorded = sqlx::query!(
        r#"
        UPDATE users SET referred_by = p.user_id
        FROM partners p
        WHERE users.id = $1 AND p.code = $2 AND p.user_id <> $1 AND users.referred_by IS NULL
        "#,
        user,
        code.as_str()
    )
    .execute(db)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::ReferralCode;

    #[test]
    fn a_referral_code_is_eight_lower_case_letters_and_digits() {
        assert!(ReferralCode::parse("ab12cd34").is_some());
        for refused in [
            "",
            "AB12CD34",
            "ab12cd3",
            "ab12cd345",
            "ab12-d34",
            "ab12cd3é",
        ] {
            assert!(ReferralCode::parse(refused).is_none(), "{refused:?}");
        }
        let code = ReferralCode::random();
        assert_eq!(ReferralCode::parse(code.as_str()), Some(code));
    }
}
