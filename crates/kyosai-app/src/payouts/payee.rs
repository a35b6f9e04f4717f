//! Where a decided payment goes: the contract's debit account in use (the account premiums are
//! collected from is the member's own, checked at enrollment or by staff), or, when there is
//! none, nowhere yet: the payout is held until the member gives an account online.

use jiff::civil::Date;
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::{ApplicationId, ContractId, PayoutId, Yen};
use kyosai_store::contracts;
use kyosai_store::payouts::{self as store, NewPayout, PayeeAccount};
use sqlx::AnyConnection;

use crate::AppError;

/// Why a payout without an account waits (the member reads it in the portal).
pub(crate) const NO_ACCOUNT_JA: &str =
    "お振込み先の口座が登録されていません。お振込み先の口座をご登録ください。";

/// The contract's newest usable debit account, as a payee.
pub(crate) async fn payee_account(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<PayeeAccount>, AppError> {
    Ok(contracts::mandates_for(conn, contract_id)
        .await?
        .into_iter()
        .rev()
        .find(|m| m.usable())
        .map(|m| PayeeAccount {
            bank_code: m.bank_code,
            branch_code: m.branch_code,
            account_type: m.account_type,
            account_number: m.account_number,
            holder_kana: m.holder_kana,
        }))
}

/// A single payment of a decision to schedule into the contract's account.
pub(crate) struct Payment<'a> {
    pub contract_id: ContractId,
    pub application_id: Option<ApplicationId>,
    pub kind: PayoutKind,
    pub due_date: Date,
    pub amount: Yen,
    pub source: &'a str,
}

/// Schedules `p` into the contract's account; with no account it is scheduled held, so the
/// decision is never lost and the member is asked for an account. Returns the payout id.
pub(crate) async fn schedule_to_contract_account(
    conn: &mut AnyConnection,
    p: &Payment<'_>,
    now: &str,
) -> Result<PayoutId, AppError> {
    let account = payee_account(conn, p.contract_id).await?;
    let blank = PayeeAccount {
        bank_code: String::new(),
        branch_code: String::new(),
        account_type: "ordinary".into(),
        account_number: String::new(),
        holder_kana: String::new(),
    };
    let id = store::schedule(
        conn,
        &NewPayout {
            contract_id: p.contract_id,
            application_id: p.application_id,
            kind: p.kind,
            due_date: p.due_date,
            amount: p.amount,
            account: account.as_ref().unwrap_or(&blank),
            source: p.source,
            seq: 1,
        },
        now,
    )
    .await?;
    if account.is_none() {
        store::hold(conn, id, NO_ACCOUNT_JA, None).await?;
    }
    Ok(id)
}
