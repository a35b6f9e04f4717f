//! The contact center's inquiry log (共済相談室, issue #14): operators (staff) log each call with
//! what it was about and how it ended, against the caller's contract when identified. Logged
//! in the same transaction as its audit entry; the scorecard counts them per 1,000 members.

use kyosai_domain::inquiry::{InquiryCategory, InquiryOutcome};
use kyosai_domain::{FieldError, InquiryId};
use kyosai_store::{contracts, inquiries};
use serde_json::json;

use crate::{Actor, App, AppError};

/// A note is a line or two for colleagues, not a transcript.
pub const MAX_NOTE_CHARS: usize = 500;

/// What an operator typed.
#[derive(Debug, Clone, Default)]
pub struct InquiryForm {
    /// The caller's 9-digit contract number, when identified; empty otherwise.
    pub contract_number: String,
    pub category: String,
    pub outcome: String,
    pub note: String,
}

impl App {
    /// Logs one inquiry; returns its id. Staff only; bad input stores nothing.
    pub async fn log_inquiry(
        &self,
        actor: &Actor,
        form: &InquiryForm,
    ) -> Result<InquiryId, AppError> {
        crate::review::require_staff(actor)?;
        let mut errors = Vec::new();
        let category = InquiryCategory::parse(form.category.trim());
        if category.is_none() {
            errors.push(FieldError::new(
                "category",
                "required",
                "問い合わせの内容を選んでください。",
            ));
        }
        let outcome = InquiryOutcome::parse(form.outcome.trim());
        if outcome.is_none() {
            errors.push(FieldError::new(
                "outcome",
                "required",
                "対応の結果を選んでください。",
            ));
        }
        let note = form.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            errors.push(FieldError::new(
                "note",
                "too_long",
                format!("メモは{MAX_NOTE_CHARS}文字以内で入力してください。"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let number = form.contract_number.trim();
        let member_id = if number.is_empty() {
            None
        } else {
            match contracts::by_number(tx.conn(), number).await? {
                Some(c) => Some(c.member_id),
                None => {
                    errors.push(FieldError::new(
                        "contract_number",
                        "not_found",
                        "この契約者番号の契約はありません。9桁で入力してください。",
                    ));
                    None
                }
            }
        };
        let (Some(category), Some(outcome), true) = (category, outcome, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let now = self.clock.now_text();
        let id = inquiries::insert(
            tx.conn(),
            &inquiries::NewInquiry {
                operator_id: actor.user_id,
                member_id,
                category: category.as_str(),
                outcome: outcome.as_str(),
                note,
                now: &now,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "inquiry.logged",
            &format!("inquiry:{id}"),
            None,
            Some(&json!({ "member": member_id, "category": category.as_str(), "outcome": outcome.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
