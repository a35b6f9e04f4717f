//! Read models for screens and the API: what a member sees on their overview.

use jiff::civil::Date;
use kyosai_domain::procedure::Check;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::schedule;
use kyosai_domain::{ApplicationId, ApplicationStatus, UserId};
use kyosai_domain::{Channel, ContractStatus, MandateStatus, Procedure, Program, YearMonth, Yen};
use kyosai_store::applications::{self, Application};
use kyosai_store::contracts::{self, Contract, Mandate};
use serde::Serialize;

use crate::enrollment::EnrollmentForm;
use crate::{Actor, App, AppError, Role};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractView {
    pub number: String,
    pub program: Program,
    pub program_name: String,
    pub status: ContractStatus,
    pub holder_name: String,
    pub business_name: String,
    pub start_date: Date,
    pub monthly_premium_yen: Yen,
    pub payment_frequency: String,
    /// The next debit: always shown to the member.
    pub next_debit_date: Option<Date>,
    pub next_debit_amount_yen: Option<i64>,
    pub bank_account: Option<String>,
}

/// One field a staff user corrected in an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    /// Who corrected it (`user:N`) and when.
    pub actor: String,
    pub at: String,
    /// The form field's name.
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub contracts: Vec<ContractView>,
    pub applications: Vec<ApplicationView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: ApplicationId,
    pub program: Program,
    pub program_name: String,
    pub procedure: Procedure,
    /// The contract the application made or changed.
    pub contract_number: Option<String>,
    pub channel: Channel,
    pub status: ApplicationStatus,
    pub status_text: String,
    pub next_step: String,
    pub received_at: String,
    pub completed_at: Option<String>,
    pub decision_reason: Option<String>,
}

pub fn status_text(status: ApplicationStatus) -> (&'static str, &'static str) {
    match status {
        ApplicationStatus::Completed => ("手続き完了", "手続きは完了しています。"),
        ApplicationStatus::InReview => (
            "確認中",
            "職員が内容を確認しています。結果はメールとこの画面でお知らせします（通常5営業日以内）。",
        ),
        ApplicationStatus::Rejected => (
            "お受けできませんでした",
            "理由をご確認ください。内容を見直して、もう一度お申込みいただけます。",
        ),
        _ => ("受付済み", "処理をお待ちください。"),
    }
}

/// One application as the staff and member pages and the API read it: the decision trail and the
/// submitted form and checks, not the stored row.
#[derive(Debug, Clone)]
pub struct ApplicationDetail {
    pub id: ApplicationId,
    pub program: Program,
    pub procedure: Procedure,
    pub channel: Channel,
    pub status: ApplicationStatus,
    pub received_at: String,
    pub completed_at: Option<String>,
    pub edited_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decision_reason: Option<String>,
    /// Read with the application and sent back with a decision (optimistic locking).
    pub version: i64,
    /// The contract the application made or changed (filled by [`App::application`] only).
    pub contract: Option<ContractTerms>,
    /// The submitted data and the checks' results as stored (JSON), parsed on demand because a
    /// mandate change's payload is not an enrollment form.
    payload: String,
    checks: String,
}

impl ApplicationDetail {
    fn from_row(a: &Application) -> ApplicationDetail {
        ApplicationDetail {
            id: a.id,
            program: a.program,
            procedure: a.procedure,
            channel: a.channel,
            status: a.status,
            received_at: a.received_at.clone(),
            completed_at: a.completed_at.clone(),
            edited_by: a.edited_by,
            decided_by: a.decided_by,
            decision_reason: a.decision_reason.clone(),
            version: a.version,
            contract: None,
            payload: a.payload.clone(),
            checks: a.checks.clone(),
        }
    }

    /// The enrollment form as submitted.
    pub fn enrollment_form(&self) -> Result<EnrollmentForm, AppError> {
        crate::review::parse_form(self.id, &self.payload)
    }

    /// The submitted data as JSON (`null` if the stored text does not parse).
    pub fn form_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or_default()
    }

    /// Every automatic check with its result (none if the stored text does not parse).
    pub fn checks(&self) -> Vec<Check> {
        serde_json::from_str(&self.checks).unwrap_or_default()
    }

    /// The checks as stored, as JSON (`null` if the stored text does not parse).
    pub fn checks_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.checks).unwrap_or_default()
    }
}

/// The terms of a contract an application made: what its status page shows with the debit plan.
#[derive(Debug, Clone)]
pub struct ContractTerms {
    pub number: String,
    pub holder_name: String,
    pub start_date: Date,
    pub first_debit_month: YearMonth,
    pub monthly_premium_yen: Yen,
    pub frequency: PaymentFrequency,
    /// The rule set the contract was made under.
    pub rule_set: String,
}

impl ContractTerms {
    fn from_row(c: &Contract) -> ContractTerms {
        ContractTerms {
            number: c.number.clone(),
            holder_name: c.holder_name.clone(),
            start_date: c.start_date,
            first_debit_month: c.first_debit_month,
            monthly_premium_yen: c.monthly_premium,
            frequency: c.frequency,
            rule_set: c.rule_set.clone(),
        }
    }
}

impl ApplicationView {
    pub fn from(a: &ApplicationDetail) -> ApplicationView {
        let (text, next) = status_text(a.status);
        ApplicationView {
            id: a.id,
            program: a.program,
            program_name: a.program.name_ja().to_string(),
            procedure: a.procedure,
            contract_number: None,
            channel: a.channel,
            status: a.status,
            status_text: text.into(),
            next_step: next.into(),
            received_at: a.received_at.clone(),
            completed_at: a.completed_at.clone(),
            decision_reason: a.decision_reason.clone(),
        }
    }
}

impl App {
    fn contract_view(&self, c: &Contract, mandate: Option<&Mandate>) -> ContractView {
        // A cancelled contract (e.g. 機構解約) is never debited again.
        let next = Some(c.program)
            .filter(|_| c.status == ContractStatus::Active)
            .and_then(|p| self.rules.in_force(p, self.clock.today()))
            .and_then(|rules| {
                let today = self.clock.today();
                schedule::premium_schedule(
                    &rules.collection,
                    &self.calendar,
                    c.first_debit_month,
                    c.monthly_premium,
                    c.frequency,
                    240,
                )
                .into_iter()
                .find(|d| d.date >= today)
            });
        ContractView {
            number: c.number.clone(),
            program: c.program,
            program_name: c.program.name_ja().to_string(),
            status: c.status,
            holder_name: c.holder_name.clone(),
            business_name: c.business_name.clone(),
            start_date: c.start_date,
            monthly_premium_yen: c.monthly_premium,
            payment_frequency: c.frequency.name_ja().to_string(),
            next_debit_date: next.as_ref().map(|d| d.date),
            next_debit_amount_yen: next.map(|d| d.amount.get()),
            bank_account: mandate.map(crate::mandate_change::mandate_label),
        }
    }

    /// A member's contracts and applications (members see only their own).
    pub async fn overview(&self, actor: &Actor, member_id: UserId) -> Result<Overview, AppError> {
        if actor.role == Role::Member && actor.user_id != member_id {
            return Err(AppError::NotFound);
        }
        let mut conn = self.store.read().await?;
        let cs = contracts::for_member(&mut conn, member_id).await?;
        let mut views = Vec::with_capacity(cs.len());
        for c in &cs {
            let mandates = contracts::mandates_for(&mut conn, c.id).await?;
            views.push(
                self.contract_view(
                    c,
                    mandates
                        .iter()
                        .rev()
                        .find(|m| m.status == MandateStatus::Active),
                ),
            );
        }
        let apps = applications::for_member(&mut conn, member_id).await?;
        Ok(Overview {
            contracts: views,
            applications: apps
                .iter()
                .map(|a| ApplicationView {
                    contract_number: cs
                        .iter()
                        .find(|c| Some(c.id) == a.contract_id)
                        .map(|c| c.number.clone()),
                    ..ApplicationView::from(&ApplicationDetail::from_row(a))
                })
                .collect(),
        })
    }

    /// An application: staff see any; a member sees only their own.
    pub async fn application(
        &self,
        actor: &Actor,
        id: ApplicationId,
    ) -> Result<ApplicationDetail, AppError> {
        let mut conn = self.store.read().await?;
        let a = applications::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if actor.role != Role::Staff && a.member_id != actor.user_id {
            return Err(AppError::NotFound);
        }
        let contract = match a.contract_id {
            Some(cid) => contracts::get(&mut conn, cid).await?,
            None => None,
        };
        drop(conn);
        self.log_personal_data_view(actor, a.member_id, "application", &id.to_string())
            .await?;
        Ok(ApplicationDetail {
            contract: contract.as_ref().map(ContractTerms::from_row),
            ..ApplicationDetail::from_row(&a)
        })
    }

    /// Applications with `status` for the staff lists: those waiting for a decision oldest
    /// first (the queue), decided ones newest first (what was decided lately).
    pub async fn applications_with_status(
        &self,
        actor: &Actor,
        status: ApplicationStatus,
    ) -> Result<Vec<ApplicationDetail>, AppError> {
        crate::review::require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let newest_first = status != ApplicationStatus::InReview;
        let rows = applications::with_status(&mut conn, status.as_str(), newest_first, 500).await?;
        let mut out = Vec::with_capacity(rows.len());
        for a in &rows {
            let contract = match a.contract_id {
                Some(cid) => contracts::get(&mut conn, cid).await?,
                None => None,
            };
            out.push(ApplicationDetail {
                contract: contract.as_ref().map(ContractTerms::from_row),
                ..ApplicationDetail::from_row(a)
            });
        }
        Ok(out)
    }

    /// What staff corrected in an application, field by field (from the audit log), so the
    /// approver sees exactly what the editor changed.
    pub async fn application_corrections(
        &self,
        actor: &Actor,
        id: ApplicationId,
    ) -> Result<Vec<Correction>, AppError> {
        crate::review::require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let rows = kyosai_store::audit::for_target(&mut conn, &format!("application:{id}")).await?;
        let mut out = Vec::new();
        for r in rows.iter().filter(|r| r.action == "application.edited") {
            let parse = |t: &Option<String>| -> serde_json::Map<String, serde_json::Value> {
                t.as_deref()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_default()
            };
            let (before, after) = (parse(&r.before), parse(&r.after));
            let text = |v: Option<&serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            };
            let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
            fields.sort();
            fields.dedup();
            for f in fields {
                let (b, a) = (text(before.get(f)), text(after.get(f)));
                if b != a {
                    out.push(Correction {
                        actor: r.actor.clone(),
                        at: r.at.clone(),
                        field: f.clone(),
                        before: b,
                        after: a,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// A contract found by a staff search.
#[derive(Debug, Clone, Serialize)]
pub struct ContractHit {
    pub number: String,
    pub program_name: &'static str,
    pub status: ContractStatus,
    pub holder_name: String,
    pub business_name: String,
    pub email: String,
}

impl App {
    /// Staff find a contract by its number, the holder's or business name, or the member's
    /// e-mail. Each search is audited (who looked for whom), as the personal-information rules
    /// expect of access to members' data.
    pub async fn search_contracts(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Vec<ContractHit>, AppError> {
        crate::review::require_staff(actor)?;
        let text = text.trim();
        if text.chars().count() < 2 || text.chars().count() > 100 {
            return Err(AppError::invalid(
                "q",
                "length",
                "検索する言葉を2文字以上100文字以内で入力してください。",
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let found = contracts::search(tx.conn(), search_forms(text).as_search(text), 50).await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "contract.searched",
            "contracts",
            None,
            Some(&serde_json::json!({ "query": text, "found": found.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(found
            .into_iter()
            .map(|f| ContractHit {
                program_name: f.contract.program.name_ja(),
                number: f.contract.number,
                status: f.contract.status,
                holder_name: f.contract.holder_name,
                business_name: f.contract.business_name,
                email: f.email,
            })
            .collect())
    }
}

/// The other forms a search text takes (issue #14 item 2: operators search by phone and kana):
/// the digits of a phone number typed with hyphens, spaces or full-width digits, and the Zengin
/// kana of a name typed in hiragana or katakana.
struct SearchForms {
    phone_digits: String,
    kana: String,
}

impl SearchForms {
    fn as_search<'a>(&'a self, text: &'a str) -> contracts::Search<'a> {
        contracts::Search {
            text,
            phone_digits: &self.phone_digits,
            kana: &self.kana,
        }
    }
}

fn search_forms(text: &str) -> SearchForms {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = text.nfkc().collect();
    let digits: String = folded
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '(' | ')' | 'ー' | '‐' | '−'))
        .collect();
    let phone_digits = if digits.len() >= 4 && digits.chars().all(|c| c.is_ascii_digit()) {
        digits
    } else {
        String::new()
    };
    let has_kana = text
        .chars()
        .any(|c| ('\u{3041}'..='\u{30FA}').contains(&c) || ('\u{FF66}'..='\u{FF9F}').contains(&c));
    let kana = if has_kana {
        kyosai_zengin::to_zengin_kana(text).unwrap_or_default()
    } else {
        String::new()
    };
    SearchForms { phone_digits, kana }
}

#[cfg(test)]
mod search_tests {
    use super::search_forms;

    #[test]
    fn phone_numbers_and_kana_are_recognised() {
        let f = search_forms("０３－１２３４－５６７８");
        assert_eq!(f.phone_digits, "0312345678");
        assert_eq!(f.kana, "");
        let f = search_forms("やまだ たろう");
        assert_eq!(f.kana, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(f.phone_digits, "");
        let f = search_forms("山田");
        assert_eq!((f.phone_digits.as_str(), f.kana.as_str()), ("", ""));
        // A contract number is digits too, but a 9-digit number is still searched as text first.
        assert_eq!(search_forms("100000114").phone_digits, "100000114");
        assert_eq!(search_forms("123").phone_digits, "");
    }
}
