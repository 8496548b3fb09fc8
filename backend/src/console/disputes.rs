//! Disputes in the console: the list and one dispute as mirrored; its evidence saved as a draft
//! (text fields, and files uploaded through Stripe's Files API with purpose
//! `dispute_evidence`), then submitted once after a confirmation (with the password window:
//! it decides money), or the dispute accepted. Every admin is told of a new one by email.

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{
    actions::{self, Act, Requester},
    audit::Action,
    refetch::{self, Object},
    ConsoleError,
};
use crate::{
    auth::EmailAddress,
    billing::{
        money::{format_date, Money},
        notifications, BillingError, Step,
    },
    mail::operators,
    stripe::{
        payments::{Charge, Dispute, DisputeStatus},
        Upload,
    },
    AppState,
};

/// The evidence asked for in words, by Stripe's field name.
pub const TEXT_FIELDS: [(&str, &str); 7] = [
    ("product_description", "What the customer bought"),
    ("customer_name", "The customer's name"),
    ("customer_email_address", "The customer's email address"),
    ("service_date", "When the service was provided"),
    (
        "access_activity_log",
        "How the customer used the product (sign-ins, activity)",
    ),
    (
        "cancellation_rebuttal",
        "Why a cancellation claim does not hold",
    ),
    ("uncategorized_text", "Anything else the bank should know"),
];

/// The documents asked for, by Stripe's field name.
pub const FILE_FIELDS: [(&str, &str); 3] = [
    ("receipt", "Receipt or invoice"),
    ("customer_communication", "Correspondence with the customer"),
    ("uncategorized_file", "Any other document"),
];

/// The largest evidence file Stripe takes (5 MB).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Disputes per page.
pub const PAGE: i64 = 25;

/// A dispute, as the pages show it.
#[derive(Clone, Debug)]
pub struct DisputeRow {
    /// `du_…`.
    pub id: String,
    /// `ch_…`.
    pub charge_id: String,
    /// Disputed.
    pub amount: Money,
    /// Where it is.
    pub status: Option<DisputeStatus>,
    /// The bank's reason.
    pub reason: String,
    /// When evidence is due.
    pub due_by: Option<OffsetDateTime>,
    /// The evidence saved so far: Stripe's field name and its value (a `file_…` id for files).
    pub evidence: Vec<(String, String)>,
    /// How many times evidence was submitted.
    pub submission_count: i32,
    /// When it was opened.
    pub created: OffsetDateTime,
}

/// A page of disputes, newest first, after the dispute `after`.
pub async fn page(
    db: impl PgExecutor<'_>,
    after: Option<&str>,
) -> Result<Vec<DisputeRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT id, charge_id, amount, currency, status, reason, evidence_due_by, evidence,
               submission_count, created
        FROM stripe_disputes
        WHERE $1::text IS NULL
           OR (created, id) < (SELECT created, id FROM stripe_disputes WHERE id = $1)
        ORDER BY created DESC, id DESC
        LIMIT $2
        "#,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| DisputeRow {
            amount: Money::new(row.amount, &row.currency),
            status: DisputeStatus::from_stored(&row.status),
            evidence: evidence_of(&row.evidence),
            id: row.id,
            charge_id: row.charge_id,
            reason: row.reason,
            due_by: row.evidence_due_by,
            submission_count: row.submission_count,
            created: row.created,
        })
        .collect())
}

/// One dispute; `None` if it is not mirrored.
pub async fn dispute(db: impl PgExecutor<'_>, id: &str) -> Result<Option<DisputeRow>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT id, charge_id, amount, currency, status, reason, evidence_due_by, evidence,
               submission_count, created
        FROM stripe_disputes WHERE id = $1
        "#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| DisputeRow {
        amount: Money::new(row.amount, &row.currency),
        status: DisputeStatus::from_stored(&row.status),
        evidence: evidence_of(&row.evidence),
        id: row.id,
        charge_id: row.charge_id,
        reason: row.reason,
        due_by: row.evidence_due_by,
        submission_count: row.submission_count,
        created: row.created,
    }))
}

/// The non-empty string fields of a stored `evidence` object.
fn evidence_of(stored: &serde_json::Value) -> Vec<(String, String)> {
    stored
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|(field, value)| {
                    let value = value.as_str()?.trim();
                    (!value.is_empty()).then(|| (field.clone(), value.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the form with this key was done already (submitted twice: the second answers as the
/// first did, though the dispute no longer takes evidence).
async fn already_done(state: &AppState, key: &str) -> Result<bool, ConsoleError> {
    Ok(super::audit::succeeded(&state.db, key)
        .await
        .step("checking whether this form was already done")?)
}

/// A dispute that still takes evidence, or why not.
async fn answerable(state: &AppState, id: &str) -> Result<DisputeRow, ConsoleError> {
    let dispute = dispute(&state.db, id)
        .await
        .step("reading the dispute")?
        .ok_or(ConsoleError::NotFound)?;
    match dispute.status {
        Some(status) if status.needs_response() => Ok(dispute),
        _ => Err(ConsoleError::NotNow(
            "This dispute no longer takes evidence: it was submitted, accepted or decided.",
        )),
    }
}

/// Saves the text evidence as a draft (nothing is submitted). `fields` are Stripe's names and
/// what the admin wrote; unknown names are refused. Empty fields are not sent: Stripe refuses an
/// empty evidence field (it reads it as unsetting one, which evidence cannot be).
pub async fn save_evidence(
    state: &AppState,
    by: Requester<'_>,
    id: &str,
    fields: &[(String, String)],
    form_id: &str,
) -> Result<(), ConsoleError> {
    answerable(state, id).await?;
    if let Some((field, _)) = fields
        .iter()
        .find(|(field, _)| !TEXT_FIELDS.iter().any(|(known, _)| known == field))
    {
        return Err(ConsoleError::Invalid {
            field: "evidence",
            message: format!("{field} is not evidence this form takes."),
        });
    }
    let evidence: Vec<(&str, &str)> = fields
        .iter()
        .map(|(field, value)| (field.as_str(), value.trim()))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let digest = hex::encode(Sha256::digest(
        serde_json::to_vec(&evidence).unwrap_or_default(),
    ));
    let act = Act {
        action: Action::DisputeEvidenceSaved,
        object_id: id,
        amount: None,
        key: actions::key(Action::DisputeEvidenceSaved, id, form_id, &digest[..16])?,
        detail: Some("text evidence"),
        moves_money: false,
        password: None,
    };
    on_dispute(state, &by, id, act, |key| async move {
        state
            .stripe
            .update_dispute(id, &evidence, false, &key)
            .await
    })
    .await
}

/// Why an evidence file was refused before it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    /// No file was chosen (or it was empty).
    #[error("Choose a file.")]
    Missing,
    /// Not one of [`FILE_FIELDS`].
    #[error("Choose which evidence the file is.")]
    UnknownEvidence,
    /// Over [`MAX_FILE_BYTES`].
    #[error("The file is larger than 5 MB, the most Stripe takes as evidence.")]
    TooLarge,
    /// Not a PDF, JPEG or PNG.
    #[error("Stripe takes evidence as PDF, JPEG or PNG.")]
    WrongType,
}

/// A file the admin chose for a piece of evidence.
pub struct EvidenceFile<'a> {
    /// Which evidence ([`FILE_FIELDS`]).
    pub field: &'a str,
    /// The name it had on the admin's computer.
    pub filename: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// The upload form's id, minted when the page was rendered: the same form sent twice is one
    /// upload and one attachment.
    pub form_id: &'a str,
}

/// Uploads `file` through Stripe's Files API (purpose `dispute_evidence`) and saves it on the
/// dispute as a draft. The same form sent twice is one upload and one attachment (both keyed
/// by the form and the file's contents).
pub async fn attach_file(
    state: &AppState,
    by: Requester<'_>,
    id: &str,
    file: EvidenceFile<'_>,
) -> Result<(), ConsoleError> {
    answerable(state, id).await?;
    if !FILE_FIELDS.iter().any(|(known, _)| *known == file.field) {
        return Err(ConsoleError::BadFile(FileProblem::UnknownEvidence));
    }
    if file.bytes.is_empty() {
        return Err(ConsoleError::BadFile(FileProblem::Missing));
    }
    if file.bytes.len() > MAX_FILE_BYTES {
        return Err(ConsoleError::BadFile(FileProblem::TooLarge));
    }
    let Some(content_type) = evidence_type(file.bytes) else {
        return Err(ConsoleError::BadFile(FileProblem::WrongType));
    };
    let digest = hex::encode(Sha256::digest(file.bytes));
    let upload = Upload {
        purpose: "dispute_evidence",
        filename: file.filename,
        content_type,
        bytes: file.bytes,
    };
    let uploaded = state
        .stripe
        .upload_file(
            &upload,
            &actions::key(
                Action::DisputeEvidenceSaved,
                id,
                file.form_id,
                &digest[..32],
            )?,
        )
        .await
        .map_err(|error| match error.refusal_message() {
            Some(message) => ConsoleError::Refused(message.to_owned()),
            None => error.step("uploading the evidence file").into(),
        })?
        .object;
    let detail = format!("{}: {}", file.field, file.filename);
    let act = Act {
        action: Action::DisputeEvidenceSaved,
        object_id: id,
        amount: None,
        key: format!(
            "tollgate-dispute_evidence_saved-{id}-{}-{}",
            file.field, uploaded.id
        ),
        detail: Some(&detail),
        moves_money: false,
        password: None,
    };
    let evidence = [(file.field, uploaded.id.as_str())];
    on_dispute(state, &by, id, act, |key| async move {
        state
            .stripe
            .update_dispute(id, &evidence, false, &key)
            .await
    })
    .await
}

/// Runs `act` on the dispute `id` ([`actions::run`]), then brings the mirror's copy of the
/// dispute up to date when Stripe was reached.
async fn on_dispute<F, Fut>(
    state: &AppState,
    by: &Requester<'_>,
    id: &str,
    act: Act<'_>,
    call: F,
) -> Result<(), ConsoleError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<
        Output = Result<crate::stripe::Answered<Dispute>, crate::stripe::StripeError>,
    >,
{
    let ran = actions::run(state, by, act, call).await;
    if actions::reached_stripe(&ran) {
        refetch::after_action(&state.db, &state.stripe, Object::Dispute(id)).await;
    }
    ran.map(|_| ())
}

/// The MIME type of a PDF, JPEG or PNG, read from its first bytes.
fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG") {
        Some("image/png")
    } else {
        None
    }
}

/// Submits the saved evidence to the bank, once: it can no longer change. Asks for the password
/// outside its window (the bank's decision moves the money).
pub async fn submit(
    state: &AppState,
    by: Requester<'_>,
    id: &str,
    form_id: &str,
    password: Option<SecretString>,
) -> Result<(), ConsoleError> {
    let key = actions::key(Action::DisputeSubmitted, id, form_id, "")?;
    if already_done(state, &key).await? {
        return Ok(());
    }
    let dispute = answerable(state, id).await?;
    if dispute.evidence.is_empty() {
        return Err(ConsoleError::NotNow(
            "Save some evidence first: there is nothing to submit.",
        ));
    }
    let act = Act {
        action: Action::DisputeSubmitted,
        object_id: id,
        amount: Some(dispute.amount.clone()),
        key,
        detail: None,
        moves_money: true,
        password,
    };
    on_dispute(state, &by, id, act, |key| async move {
        state.stripe.update_dispute(id, &[], true, &key).await
    })
    .await
}

/// Accepts the dispute: it is lost and closed, its amount stays with the cardholder. Asks for
/// the password outside its window, as submitting does.
pub async fn accept(
    state: &AppState,
    by: Requester<'_>,
    id: &str,
    form_id: &str,
    password: Option<SecretString>,
) -> Result<(), ConsoleError> {
    let key = actions::key(Action::DisputeAccepted, id, form_id, "")?;
    if already_done(state, &key).await? {
        return Ok(());
    }
    let dispute = answerable(state, id).await?;
    let act = Act {
        action: Action::DisputeAccepted,
        object_id: id,
        amount: Some(dispute.amount.clone()),
        key,
        detail: None,
        // Accepting gives the amount and the fee up for good.
        moves_money: true,
        password,
    };
    on_dispute(state, &by, id, act, |key| async move {
        state.stripe.close_dispute(id, &key).await
    })
    .await
}

/// Queues the "payment disputed" email to every admin, once per dispute and admin; whether any
/// was queued now.
pub async fn notify_admins(
    conn: &mut PgConnection,
    base_url: &url::Url,
    dispute: &Dispute,
    charge: &Charge,
) -> Result<bool, BillingError> {
    let admins = sqlx::query!("SELECT id, email FROM users WHERE role = 'admin' ORDER BY email")
        .fetch_all(&mut *conn)
        .await
        .step("listing the admins")?;
    let amount = Money::new(dispute.amount, &dispute.currency).in_words();
    let due_by = dispute
        .evidence_details
        .due_by
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
        .map(format_date);
    let page = base_url
        .join(&format!("/admin/payments/{}", charge.id))
        .unwrap_or_else(|_| base_url.clone());
    let mut queued = false;
    for admin in admins {
        let to = EmailAddress::from_stored(admin.email);
        let mail = operators::dispute_opened(
            &to,
            &amount,
            &dispute.reason.replace('_', " "),
            due_by.as_deref(),
            &page,
        );
        let subject = format!("{}#{}", dispute.id, admin.id);
        queued |= notifications::queue(conn, "dispute_opened", &subject, admin.id, &mail).await?;
    }
    Ok(queued)
}
