//! The staff review queue: applications the rules could not decide. Staff approve or reject with
//! a reason; an application a staff user edited must be approved by a different staff user
//! (maker-checker).

use kyosai_domain::Program;
use kyosai_domain::enrollment::{self, EnrollmentContext};
use kyosai_store::applications::{self, Application};
use kyosai_store::users;
use serde_json::json;

use crate::enrollment::EnrollmentForm;
use crate::mail::{self, Mail};
use crate::{Actor, App, AppError, Role};

/// Loads an application that is still waiting for a decision.
async fn in_review(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Application, AppError> {
    let a = applications::get(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if a.status != "in_review" {
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

pub(crate) fn require_staff(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Staff {
        Ok(())
    } else {
        Err(AppError::Forbidden("staff only"))
    }
}

impl App {
    /// Approves an application in review: the contract is created in the same transaction.
    pub async fn approve(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let mut tx = self.store.begin_write().await?;
        let a = in_review(tx.conn(), id).await?;
        if a.edited_by == Some(actor.user_id) {
            return Err(AppError::conflict(
                "maker_checker",
                "ご自身が修正した申込は承認できません。別の職員が承認してください。",
            ));
        }
        let input = stored_form(&a)?.parse()?;
        let program = input.program;
        let rules = self.rules_for(program)?;
        let now = self.clock.now_text();
        let contract = self
            .create_contract(
                tx.conn(),
                &actor.audit_name(),
                id,
                a.member_id,
                &input,
                &rules,
            )
            .await?;
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: "completed",
                outcome: Some("approved"),
                completed_at: Some(&now),
                payload: &a.payload,
                checks: &a.checks,
                contract_id: None,
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
            Some(&json!({ "status": "completed", "reason": reason, "contract": contract.number })),
        )
        .await?;
        let member = users::by_id(tx.conn(), a.member_id)
            .await?
            .ok_or(AppError::NotFound)?;
        mail::enqueue(
            tx.conn(),
            &Mail {
                to: member.email,
                subject: format!("【{}】ご加入手続き完了のお知らせ", program.name_ja()),
                body: format!(
                    "{} 様\n\nお申込み（受付番号：{id}）の確認が終わり、ご加入手続きが完了しました。\n\n共済契約者番号：{}\n初回の口座振替日：{}（{}）\n\n{}/portal\n",
                    input.holder_name(), contract.number, contract.first_debit_date, contract.monthly_premium_yen, self.public_url
                ),
            },
            &now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reject(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(AppError::invalid(
                "reason",
                "required",
                "お断りする理由を1000文字以内で入力してください。",
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let a = in_review(tx.conn(), id).await?;
        let now = self.clock.now_text();
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: "rejected",
                outcome: Some("rejected"),
                completed_at: Some(&now),
                payload: &a.payload,
                checks: &a.checks,
                contract_id: None,
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
        let member = users::by_id(tx.conn(), a.member_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let program = Program::parse(&a.program)
            .map(Program::name_ja)
            .unwrap_or("共済");
        mail::enqueue(
            tx.conn(),
            &Mail {
                to: member.email,
                subject: format!("【{program}】お申込みの審査結果"),
                body: format!("お申込み（受付番号：{id}）は、次の理由によりお受けできませんでした。\n\n{reason}\n\n詳しくはマイページをご覧ください。\n{}/portal\n", self.public_url),
            },
            &now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A staff correction of an application in review (e.g. a typo confirmed by phone). The
    /// checks are run again; the editor can no longer approve it.
    pub async fn edit_application(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        form: &EnrollmentForm,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let input = form.parse()?;
        let mut tx = self.store.begin_write().await?;
        let a = in_review(tx.conn(), id).await?;
        if input.program.as_str() != a.program {
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
        if assessment.decision() == enrollment::Decision::Reject {
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        let payload = serde_json::to_string(form).map_err(|e| AppError::Internal(e.to_string()))?;
        let checks = serde_json::to_string(&assessment.checks)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        update_unless_stale(
            tx.conn(),
            &applications::Update {
                id,
                version,
                status: "in_review",
                outcome: None,
                completed_at: None,
                payload: &payload,
                checks: &checks,
                contract_id: None,
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

/// The form as submitted (applications store the form, not only the parsed input, so staff can
/// edit it and the checks can be re-run on exactly what was sent).
fn stored_form(a: &Application) -> Result<EnrollmentForm, AppError> {
    parse_form(a.id, &a.payload)
}

/// An application's stored payload as the enrollment form.
pub(crate) fn parse_form(id: i64, payload: &str) -> Result<EnrollmentForm, AppError> {
    serde_json::from_str(payload).map_err(|e| AppError::Internal(format!("application {id}: {e}")))
}
