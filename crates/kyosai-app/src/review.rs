//! The staff review queue: applications the rules could not decide. Staff approve or reject with
//! a reason; an application a staff user edited must be approved by a different staff user
//! (maker-checker).

use kyosai_domain::enrollment::{self, EnrollmentContext};
use kyosai_domain::procedure::Decision;
use kyosai_domain::{ApplicationId, ApplicationStatus, Procedure};
use kyosai_store::applications::{self, Application};
use serde_json::json;

use crate::cancellation::CancellationProcedure;
use crate::details_change::DetailsChangeProcedure;
use crate::enrollment::{Enrollment, EnrollmentForm};
use crate::mandate_change::MandateChangeProcedure;
use crate::payment_frequency::FrequencyChangeProcedure;
use crate::premium_change::PremiumChangeProcedure;
use crate::prepayment_application::PrepaymentProcedure;
use crate::procedure::MailText;
use crate::suspension::{ResumptionProcedure, SuspensionProcedure};
use crate::{Actor, App, AppError, Role};

/// Loads an application that is still waiting for a decision.
async fn in_review(
    conn: &mut sqlx::AnyConnection,
    id: ApplicationId,
) -> Result<Application, AppError> {
    let a = applications::get(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if a.status != ApplicationStatus::InReview {
        return Err(AppError::conflict(
            "not_in_review",
            "この申込はすでに処理されています。",
        ));
    }
    Ok(a)
}

/// Applies a decision or edit unless someone changed the application since it was read.
async fn update_unless_stale(
    conn: &mut sqlx::AnyConnection,
    update: &applications::Update<'_>,
) -> Result<(), AppError> {
    if applications::update(conn, update).await? {
        Ok(())
    } else {
        Err(AppError::conflict(
            "stale",
            "ほかの職員がこの申込を更新しました。画面を開き直してください。",
        ))
    }
}

/// What a staff user may do with an application: a reviewer prepares (checks, corrects,
/// recommends), an approver decides. Deciding is refused to a reviewer in the use case itself,
/// so no screen or API can skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffPower {
    Reviewer,
    Approver,
}

impl StaffPower {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffPower::Reviewer => "reviewer",
            StaffPower::Approver => "approver",
        }
    }

    pub fn parse(s: &str) -> Option<StaffPower> {
        match s {
            "reviewer" => Some(StaffPower::Reviewer),
            "approver" => Some(StaffPower::Approver),
            _ => None,
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            StaffPower::Reviewer => "審査担当",
            StaffPower::Approver => "決裁者",
        }
    }
}

/// Refuses anyone but a staff user with the approver power (inside the deciding transaction).
pub(crate) async fn require_approver(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
) -> Result<(), AppError> {
    require_staff(actor)?;
    let power = kyosai_store::users::staff_power(conn, actor.user_id).await?;
    if power.as_deref().and_then(StaffPower::parse) == Some(StaffPower::Approver) {
        Ok(())
    } else {
        Err(AppError::Forbidden("approvers only"))
    }
}

/// Every decision is explained: a reason of 1–1000 characters.
fn decision_reason(reason: &str, message: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::invalid("reason", "required", message));
    }
    Ok(reason.to_string())
}

pub(crate) fn require_staff(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Staff {
        Ok(())
    } else {
        Err(AppError::Forbidden("staff only"))
    }
}

impl App {
    /// Approves an application in review: the procedure is completed in the same transaction by
    /// its own completing step (an enrollment makes the contract, an account change the mandate).
    #[tracing::instrument(skip(self, actor, reason), fields(actor = actor.user_id.get()))]
    pub async fn approve(
        &self,
        actor: &Actor,
        id: ApplicationId,
        version: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let reason = decision_reason(
            reason,
            "承認の理由（確認した内容）を1000文字以内で入力してください。",
        )?;
        let reason = reason.as_str();
        let mut tx = self.store.begin_write().await?;
        require_approver(tx.conn(), actor).await?;
        let a = in_review(tx.conn(), id).await?;
        if a.edited_by == Some(actor.user_id) {
            return Err(AppError::conflict(
                "maker_checker",
                "ご自身が修正した申込は承認できません。別の職員が承認してください。",
            ));
        }
        let completion = match a.procedure {
            Procedure::Enrollment => {
                self.complete_reviewed::<Enrollment>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::MandateChange => {
                self.complete_reviewed::<MandateChangeProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::Cancellation => {
                self.complete_reviewed::<CancellationProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::FrequencyChange => {
                self.complete_reviewed::<FrequencyChangeProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::Prepayment => {
                self.complete_reviewed::<PrepaymentProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::Suspension => {
                self.complete_reviewed::<SuspensionProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::Resumption => {
                self.complete_reviewed::<ResumptionProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::DetailsChange => {
                self.complete_reviewed::<DetailsChangeProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::PremiumChange => {
                self.complete_reviewed::<PremiumChangeProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::TemporaryLoan => {
                self.complete_reviewed::<crate::loans::TemporaryLoanProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::BenefitClaim => {
                if self
                    .claim_needs_second_approver(tx.conn(), actor, &a)
                    .await?
                {
                    // The first of two sign-offs: the claim stays in review for another approver.
                    tx.commit().await?;
                    return Ok(());
                }
                self.complete_reviewed::<crate::claims::BenefitClaimProcedure>(tx.conn(), actor, &a)
                    .await?
            }
            Procedure::BankruptcyLoan => {
                crate::bankruptcy_loan::ensure_checker(tx.conn(), actor, &a).await?;
                self.complete_reviewed::<crate::bankruptcy_loan::BankruptcyLoanProcedure>(
                    tx.conn(),
                    actor,
                    &a,
                )
                .await?
            }
            Procedure::LoanEarlyRepayment => {
                self.complete_reviewed::<crate::loan_early_repayment::EarlyRepaymentProcedure>(
                    tx.conn(),
                    actor,
                    &a,
                )
                .await?
            }
            Procedure::MemberLoan => {
                self.complete_reviewed::<crate::member_loan::MemberLoanProcedure>(
                    tx.conn(),
                    actor,
                    &a,
                )
                .await?
            }
            Procedure::PremiumDeferral => {
                self.complete_reviewed::<crate::premium_deferral::PremiumDeferralProcedure>(
                    tx.conn(),
                    actor,
                    &a,
                )
                .await?
            }
        };
        let now = self.clock.now_text();
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: ApplicationStatus::Completed.as_str(),
                outcome: Some("approved"),
                completed_at: Some(&now),
                payload: &a.payload,
                checks: &a.checks,
                // A maintenance application keeps the contract it changes (the update writes
                // the column, so None would unlink it).
                contract_id: completion.contract_id.or(a.contract_id),
                edited_by: a.edited_by,
                decided_by: Some(actor.user_id),
                decision_reason: Some(reason),
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "application.approved",
            &format!("application:{id}"),
            Some(&json!({ "status": "in_review" })),
            Some(&json!({ "status": "completed", "reason": reason, "contract": completion.contract_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip(self, actor, reason), fields(actor = actor.user_id.get()))]
    pub async fn reject(
        &self,
        actor: &Actor,
        id: ApplicationId,
        version: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let reason = decision_reason(reason, "お断りする理由を1000文字以内で入力してください。")?;
        let reason = reason.as_str();
        let mut tx = self.store.begin_write().await?;
        require_approver(tx.conn(), actor).await?;
        let a = in_review(tx.conn(), id).await?;
        let now = self.clock.now_text();
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: ApplicationStatus::Rejected.as_str(),
                outcome: Some("rejected"),
                completed_at: Some(&now),
                payload: &a.payload,
                checks: &a.checks,
                contract_id: a.contract_id,
                edited_by: a.edited_by,
                decided_by: Some(actor.user_id),
                decision_reason: Some(reason),
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "application.rejected",
            &format!("application:{id}"),
            Some(&json!({ "status": "in_review" })),
            Some(&json!({ "status": "rejected", "reason": reason })),
        )
        .await?;
        let program = a.program.name_ja();
        let text = MailText {
            subject: format!("【{program}】お申込みの審査結果"),
            body: format!(
                "お申込み（受付番号：{id}）は、次の理由によりお受けできませんでした。\n\n{reason}\n\n詳しくはマイページをご覧ください。\n{}/portal\n",
                self.public_url
            ),
        };
        self.mail_member(tx.conn(), a.member_id, text, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A staff correction of an application in review (e.g. a typo confirmed by phone). The
    /// checks are run again; the editor can no longer approve it.
    #[tracing::instrument(skip(self, actor, form), fields(actor = actor.user_id.get()))]
    pub async fn edit_application(
        &self,
        actor: &Actor,
        id: ApplicationId,
        version: i64,
        form: &EnrollmentForm,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let input = form.parse()?;
        let mut tx = self.store.begin_write().await?;
        let a = in_review(tx.conn(), id).await?;
        if a.procedure != Procedure::Enrollment {
            return Err(AppError::conflict(
                "not_editable",
                "この手続きの申込は修正できません。承認するか、理由を添えてお断りしてください。",
            ));
        }
        if input.program != a.program {
            return Err(AppError::invalid(
                "program",
                "immutable",
                "申し込む共済は変更できません。",
            ));
        }
        let rules = self.rules_for(input.program)?;
        let ctx = EnrollmentContext {
            today: self.clock.today(),
            ..Default::default()
        };
        let assessment = enrollment::assess(&input.facts(), &rules, &ctx);
        if assessment.decision() == Decision::Reject {
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        let payload = serde_json::to_string(form).map_err(|e| AppError::Internal(e.into()))?;
        let checks =
            serde_json::to_string(&assessment.checks).map_err(|e| AppError::Internal(e.into()))?;
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: ApplicationStatus::InReview.as_str(),
                outcome: None,
                completed_at: None,
                payload: &payload,
                checks: &checks,
                contract_id: a.contract_id,
                edited_by: Some(actor.user_id),
                decided_by: None,
                decision_reason: None,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "application.edited",
            &format!("application:{id}"),
            serde_json::from_str(&a.payload).ok().as_ref(),
            serde_json::from_str(&payload).ok().as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An application's stored payload as the enrollment form (applications store the form, not only
/// the parsed input, so staff can edit it and the checks can be re-run on exactly what was sent).
pub(crate) fn parse_form(id: ApplicationId, payload: &str) -> Result<EnrollmentForm, AppError> {
    serde_json::from_str(payload)
        .map_err(|e| AppError::Internal(format!("application {id}: {e}").into()))
}
