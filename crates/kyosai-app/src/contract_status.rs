//! `GET /api/v1/contracts/{number}` (issue #10, "Exact API"): where a contract stands today for
//! outside clients: its status, premium and frequency in force, what it has paid, the changes
//! already decided for later months and the procedures still in review.

use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractStatus, MandateStatus, Procedure, Program, YearMonth,
};
use kyosai_store::billing as bstore;
use kyosai_store::{applications, contracts, paid};
use serde::Serialize;

use crate::billing::parse_month;
use crate::{Actor, App, AppError};

/// A contract's status as outside clients read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContractState {
    Active,
    /// 掛止め (倒産防止, REFERENCE §2.6): the contract stands but is not debited from its
    /// suspension month on.
    Suspended,
    Cancelled,
}

/// The payment frequency in the API's spelling (`semiannual`), fixed by the issue for outside
/// clients and mapped explicitly so a change of the domain's name cannot change the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiPaymentFrequency {
    Monthly,
    Semiannual,
    Annual,
}

impl From<PaymentFrequency> for ApiPaymentFrequency {
    fn from(f: PaymentFrequency) -> Self {
        match f {
            PaymentFrequency::Monthly => ApiPaymentFrequency::Monthly,
            PaymentFrequency::SemiAnnual => ApiPaymentFrequency::Semiannual,
            PaymentFrequency::Annual => ApiPaymentFrequency::Annual,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ScheduledChangeKind {
    /// A new monthly premium from `effective_month`.
    PremiumChange,
    /// A new debit account from `effective_month`.
    MandateChange,
    /// 掛止め from `effective_month`.
    Suspension,
}

/// A change already decided that takes effect after the current month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledChange {
    pub kind: ScheduledChangeKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2027-01"))]
    pub effective_month: YearMonth,
    /// The new monthly premium (`premium_change` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_premium_yen: Option<i64>,
    /// The new account, masked (`mandate_change` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<String>,
}

/// A procedure on the contract waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingProcedure {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub procedure: Procedure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractStanding {
    pub number: String,
    pub program: Program,
    pub status: ContractState,
    /// The monthly premium in force this month.
    pub monthly_premium_yen: i64,
    pub payment_frequency: ApiPaymentFrequency,
    /// Months paid: the opening balance's months plus every collected debit's (the premium
    /// ledger, as the benefit calculators count them).
    pub months_paid: i64,
    pub total_paid_yen: i64,
    /// Changes taking effect after the current month, earliest first.
    pub scheduled_changes: Vec<ScheduledChange>,
    pub pending: Vec<PendingProcedure>,
}

impl App {
    /// Where a contract stands. Members see only their own contracts (another's is not found,
    /// so its existence is not revealed); staff see any.
    pub async fn contract_standing(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<ContractStanding, AppError> {
        let mut conn = self.store.read().await?;
        let c = contracts::by_number(&mut conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        self.authorize_member_read(actor, c.member_id, crate::capability::Scope::ContractsRead)
            .await?;
        self.log_personal_data_view(actor, c.member_id, "contract", number)
            .await?;
        let paid = paid::so_far(&mut conn, c.id).await?;
        let (_, suspended_from) = bstore::prepaid_and_suspended(&mut conn, c.id).await?;
        let changes = bstore::premium_changes_between(&mut conn, c.id, c.id).await?;
        let mandates = contracts::mandates_for(&mut conn, c.id).await?;
        let apps = applications::for_member(&mut conn, c.member_id).await?;
        drop(conn);
        let this_month = YearMonth::of(self.clock.today());
        let suspended_from = suspended_from.as_deref().map(parse_month).transpose()?;
        let changes: Vec<(YearMonth, i64)> = changes
            .iter()
            .map(|(_, m, p)| Ok((parse_month(m)?, *p)))
            .collect::<Result<_, AppError>>()?;
        let status = match (c.status, suspended_from) {
            (ContractStatus::Cancelled, _) => ContractState::Cancelled,
            (ContractStatus::Active, Some(from)) if from <= this_month => ContractState::Suspended,
            (ContractStatus::Active, _) => ContractState::Active,
        };
        let monthly_premium_yen = changes
            .iter()
            .filter(|(m, _)| *m <= this_month)
            .max_by_key(|(m, _)| *m)
            .map_or(c.monthly_premium.get(), |(_, p)| *p);
        let mut scheduled: Vec<ScheduledChange> = changes
            .iter()
            .filter(|(m, _)| *m > this_month)
            .map(|(m, p)| ScheduledChange {
                kind: ScheduledChangeKind::PremiumChange,
                effective_month: *m,
                monthly_premium_yen: Some(*p),
                bank_account: None,
            })
            .collect();
        scheduled.extend(
            mandates
                .iter()
                .filter(|m| m.status == MandateStatus::Active)
                .filter_map(|m| {
                    m.effective_month
                        .filter(|e| *e > this_month)
                        .map(|e| ScheduledChange {
                            kind: ScheduledChangeKind::MandateChange,
                            effective_month: e,
                            monthly_premium_yen: None,
                            bank_account: Some(crate::mandate_change::mandate_label(m)),
                        })
                }),
        );
        if let Some(from) = suspended_from.filter(|f| *f > this_month) {
            scheduled.push(ScheduledChange {
                kind: ScheduledChangeKind::Suspension,
                effective_month: from,
                monthly_premium_yen: None,
                bank_account: None,
            });
        }
        scheduled.sort_by_key(|s| s.effective_month);
        let pending = apps
            .iter()
            .filter(|a| a.contract_id == Some(c.id) && a.status == ApplicationStatus::InReview)
            .map(|a| PendingProcedure {
                application_id: a.id,
                procedure: a.procedure,
            })
            .collect();
        Ok(ContractStanding {
            number: c.number,
            program: c.program,
            status,
            monthly_premium_yen,
            payment_frequency: c.frequency.into(),
            months_paid: paid.months,
            total_paid_yen: paid.yen,
            scheduled_changes: scheduled,
            pending,
        })
    }
}
