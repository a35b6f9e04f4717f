//! A contract's payouts as the member (and staff) see them, and the one thing a member does
//! with a payout: give a new account when a transfer could not be made (振込不能, or no account
//! registered), so the payout is paid by the next run.

use kyosai_domain::payout::{PayoutKind, PayoutStatus};
use kyosai_store::contracts;
use kyosai_store::payouts::{self as store, PayeeAccount, Payout};
use serde::Serialize;
use serde_json::json;

use crate::bank_account::same_holder;
use crate::mandate_change::MandateForm;
use kyosai_domain::{ApplicationId, FieldError, PayoutId};

use crate::{Actor, App, AppError};

/// One payout of a contract (`GET /api/v1/contracts/{number}/payouts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutView {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub payout_id: PayoutId,
    /// The transfer date (振込日), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: jiff::civil::Date,
    pub yen: i64,
    pub kind: PayoutKind,
    /// 共済金, 分割共済金, 解約手当金, 前納減額金, 貸付金.
    pub kind_ja: String,
    /// The application that decided it, when there is one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub application_id: Option<ApplicationId>,
    pub status: PayoutStatus,
    /// 支払予定 / お支払い済み / 保留中.
    pub status_ja: String,
    /// Why a held payout waits, and what the member can do.
    pub hold_reason: Option<String>,
    /// The account it goes (or went) to, masked except the last three digits.
    pub account_ja: Option<String>,
}

fn status_ja(s: PayoutStatus) -> &'static str {
    match s {
        PayoutStatus::Scheduled => "お支払い予定",
        PayoutStatus::Paid => "お支払い済み",
        PayoutStatus::Held => "保留中（お振込み先のご登録をお待ちしています）",
    }
}

fn masked(a: &PayeeAccount) -> Option<String> {
    let n = &a.account_number;
    (n.len() >= 3).then(|| {
        format!(
            "金融機関{} 支店{} {} ****{}",
            a.bank_code,
            a.branch_code,
            crate::bank_account::account_type_ja(&a.account_type),
            &n[n.len() - 3..]
        )
    })
}

impl From<Payout> for PayoutView {
    fn from(p: Payout) -> Self {
        PayoutView {
            payout_id: p.id,
            date: p.due_date,
            yen: p.amount.get(),
            kind: p.kind,
            kind_ja: p.kind.name_ja().into(),
            application_id: p.application_id,
            status: p.status,
            status_ja: status_ja(p.status).into(),
            hold_reason: p.hold_reason,
            account_ja: masked(&p.account),
        }
    }
}

impl App {
    /// Every payout of a contract, by date: the owning member and staff only.
    pub async fn contract_payouts(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Vec<PayoutView>, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        Ok(store::for_contract(&mut conn, c.id)
            .await?
            .into_iter()
            .map(PayoutView::from)
            .collect())
    }

    /// A new account for a held payout: checked like a debit account, in the name of someone the
    /// contract already pays or debits (a payout never goes to a stranger's account on the
    /// member's word alone), and scheduled for the first business day after today. Audited.
    pub async fn give_payout_account(
        &self,
        actor: &Actor,
        number: &str,
        payout_id: PayoutId,
        form: &MandateForm,
    ) -> Result<PayoutView, AppError> {
        let account = form.parse()?;
        let mut tx = self.store.begin_write().await?;
        let c = self.readable_contract(tx.conn(), actor, number).await?;
        let p = store::get(tx.conn(), payout_id)
            .await?
            .filter(|p| p.contract_id == c.id)
            .ok_or(AppError::NotFound)?;
        if p.status != PayoutStatus::Held {
            return Err(AppError::conflict(
                "payout_not_held",
                "このお支払いは保留中ではないため、お振込み先を変更できません。",
            ));
        }
        let holders = contracts::mandates_for(tx.conn(), c.id).await?;
        if !holders
            .iter()
            .any(|m| same_holder(&m.holder_kana, &account.holder_kana))
        {
            return Err(AppError::Invalid(vec![FieldError::new(
                "account_holder_kana",
                "holder_mismatch",
                "お振込み先は、ご契約で登録されている口座と同じ名義の口座に限ります。名義の異なる口座をご希望の場合は、お問い合わせ窓口にご相談ください。",
            )]));
        }
        let due = self.calendar.business_days_after(self.clock.today(), 1);
        let payee = PayeeAccount {
            bank_code: account.bank_code.clone(),
            branch_code: account.branch_code.clone(),
            account_type: account.account_type.clone(),
            account_number: account.account_number.clone(),
            holder_kana: account.holder_kana.clone(),
        };
        if !store::reschedule(tx.conn(), p.id, &payee, due).await? {
            return Err(AppError::conflict(
                "payout_not_held",
                "このお支払いは保留中ではないため、お振込み先を変更できません。",
            ));
        }
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "payout.account_given",
            &format!("payout:{}", p.id),
            Some(&json!({ "status": p.status.as_str(), "hold_reason": p.hold_reason })),
            Some(&json!({ "status": "scheduled", "due_date": due.to_string(),
                "bank_code": payee.bank_code, "branch_code": payee.branch_code })),
        )
        .await?;
        let now = store::get(tx.conn(), p.id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(now.into())
    }
}
