//! Read models for screens and the API: what a member sees on their overview.

use jiff::civil::Date;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::schedule;
use kyosai_domain::{Program, Yen};
use kyosai_store::applications::{self, Application};
use kyosai_store::contracts::{self, Contract, Mandate};
use serde::Serialize;

use crate::{Actor, App, AppError, Role};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractView {
    pub number: String,
    pub program: String,
    pub program_name: String,
    pub status: String,
    pub holder_name: String,
    pub business_name: String,
    pub start_date: String,
    pub monthly_premium_yen: i64,
    pub payment_frequency: String,
    /// The next debit: always shown to the member.
    pub next_debit_date: Option<Date>,
    pub next_debit_amount_yen: Option<i64>,
    pub bank_account: Option<String>,
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
    pub id: i64,
    pub program: String,
    pub program_name: String,
    /// `enrollment` or `mandate_change`.
    pub procedure: String,
    /// The contract the application made or changed.
    pub contract_number: Option<String>,
    pub channel: String,
    pub status: String,
    pub status_text: String,
    pub next_step: String,
    pub received_at: String,
    pub completed_at: Option<String>,
    pub decision_reason: Option<String>,
}

pub fn status_text(status: &str) -> (&'static str, &'static str) {
    match status {
        "completed" => ("手続き完了", "手続きは完了しています。"),
        "in_review" => (
            "確認中",
            "職員が内容を確認しています。結果はメールとこの画面でお知らせします（通常5営業日以内）。",
        ),
        "rejected" => (
            "お受けできませんでした",
            "理由をご確認ください。内容を見直して、もう一度お申込みいただけます。",
        ),
        _ => ("受付済み", "処理をお待ちください。"),
    }
}

impl ApplicationView {
    pub fn from(a: &Application) -> ApplicationView {
        let (text, next) = status_text(&a.status);
        ApplicationView {
            id: a.id,
            program: a.program.clone(),
            program_name: Program::parse(&a.program)
                .map(Program::name_ja)
                .unwrap_or("")
                .to_string(),
            procedure: a.procedure.clone(),
            contract_number: None,
            channel: a.channel.clone(),
            status: a.status.clone(),
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
        let program = Program::parse(&c.program);
        let frequency = PaymentFrequency::parse(&c.frequency).unwrap_or(PaymentFrequency::Monthly);
        // A cancelled contract (e.g. 機構解約) is never debited again.
        let next = program
            .filter(|_| c.status == "active")
            .and_then(|p| self.rules.in_force(p, self.clock.today()))
            .and_then(|rules| {
                let first: kyosai_domain::YearMonth = c.first_debit_month.parse().ok()?;
                let today = self.clock.today();
                schedule::premium_schedule(
                    &rules.collection,
                    &self.calendar,
                    first,
                    Yen::new(c.monthly_premium),
                    frequency,
                    240,
                )
                .into_iter()
                .find(|d| d.date >= today)
            });
        ContractView {
            number: c.number.clone(),
            program: c.program.clone(),
            program_name: program.map(Program::name_ja).unwrap_or("").to_string(),
            status: c.status.clone(),
            holder_name: c.holder_name.clone(),
            business_name: c.business_name.clone(),
            start_date: c.start_date.clone(),
            monthly_premium_yen: c.monthly_premium,
            payment_frequency: frequency.name_ja().to_string(),
            next_debit_date: next.as_ref().map(|d| d.date),
            next_debit_amount_yen: next.map(|d| d.amount.get()),
            bank_account: mandate.map(crate::mandate_change::account_label),
        }
    }

    /// A member's contracts and applications (members see only their own).
    pub async fn overview(&self, actor: &Actor, member_id: i64) -> Result<Overview, AppError> {
        if actor.role == Role::Member && actor.user_id != member_id {
            return Err(AppError::NotFound);
        }
        let mut conn = self.store.read().await?;
        let cs = contracts::for_member(&mut conn, member_id).await?;
        let mut views = Vec::with_capacity(cs.len());
        for c in &cs {
            let mandates = contracts::mandates_for(&mut conn, c.id).await?;
            views.push(self.contract_view(c, mandates.iter().rev().find(|m| m.status == "active")));
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
                    ..ApplicationView::from(a)
                })
                .collect(),
        })
    }
}
