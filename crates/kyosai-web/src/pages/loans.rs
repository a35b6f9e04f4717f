//! A contract's loans, `/portal/contracts/{number}/loans` (issue #12 item 2): each loan with its
//! status, what is owed today, the next repayment, every direct debit with the bank's answer and
//! the whole schedule; and the early repayment (繰上返済): a quote with the debit date and the
//! amounts (`App::quote_early_repayment`, nothing stored), then the request
//! (`App::request_early_repayment`). Every figure is the app's, from the rule set in force.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::loan_early_repayment::{EarlyRepaymentForm, EarlyRepaymentQuote};
use kyosai_app::loans::{DebitResult, LoanStatus, LoanView};
use kyosai_domain::{ApplicationId, FieldError, LoanId, Program};

use super::FormData;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "loans.html")]
struct LoansPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    safety_net: bool,
    temporary_limit: String,
    bankruptcy_limit: String,
    /// 「（掛金総額の10倍まで）」, from the rule set.
    bankruptcy_rule: String,
    member_limit: String,
    /// 「（4月・10月に見直し）」, from the rule set.
    member_rule: String,
    loans: Vec<LoanCard>,
    /// A quote to confirm (`confirm`) or the request just made (`done`).
    early: Option<EarlyText>,
    mode: &'static str,
    errors: Vec<String>,
}

struct LoanCard {
    id: LoanId,
    title: String,
    amount: String,
    disbursed: String,
    status: &'static str,
    status_text: &'static str,
    owed: String,
    principal: String,
    interest_due: String,
    late_charge: String,
    overdue: u32,
    next: String,
    early_asked: String,
    can_repay_early: bool,
    debits: Vec<DebitRow>,
    schedule: Vec<InstalmentRow>,
}

struct DebitRow {
    date: String,
    amount: String,
    detail: String,
    result: &'static str,
    result_text: &'static str,
}

struct InstalmentRow {
    seq: u32,
    due: String,
    amount: String,
    state: &'static str,
}

struct EarlyText {
    loan_id: LoanId,
    month: String,
    debit_date: String,
    total: String,
    principal: String,
    interest: String,
    late_charge: String,
    application_id: ApplicationId,
}

fn early_text(q: &EarlyRepaymentQuote, application_id: ApplicationId) -> EarlyText {
    EarlyText {
        loan_id: q.loan_id,
        month: format!("{}年{}月分", q.month.year(), q.month.month()),
        debit_date: ja_date(q.debit_date),
        total: yen(q.total().get()),
        principal: yen(q.principal.get()),
        interest: yen(q.interest.get()),
        late_charge: yen(q.late_charge.get()),
        application_id,
    }
}

fn card(l: &LoanView) -> LoanCard {
    let (status, status_text) = (l.status.as_str(), l.status.name_ja());
    let next = l
        .schedule
        .iter()
        .find(|(_, paid)| paid.is_none())
        .map_or_else(String::new, |(i, _)| {
            format!("{}　{}", ja_date(i.due_date), yen(i.total().get()))
        });
    LoanCard {
        id: l.id,
        title: format!("{}（{}）", l.kind.name_ja(), ja_date(l.disbursement_date)),
        amount: yen(l.amount.get()),
        disbursed: ja_date(l.disbursement_date),
        status,
        status_text,
        owed: yen(l.balance.total().get()),
        principal: yen(l.balance.principal_yen.get()),
        interest_due: yen(l.balance.interest_due_yen.get()),
        late_charge: yen(l.balance.late_charge_yen.get()),
        overdue: l.balance.overdue_instalments,
        next,
        early_asked: l
            .early_repayment_month
            .as_deref()
            .map_or_else(String::new, |m| m.replacen('-', "年", 1) + "月分"),
        can_repay_early: l.status != LoanStatus::Repaid && l.early_repayment_month.is_none(),
        debits: l
            .debits
            .iter()
            .map(|d| {
                let (result, result_text) = match d.result {
                    DebitResult::Collected => ("completed", "引落済み"),
                    DebitResult::Failed => ("rejected", "引落しできず"),
                    DebitResult::Pending => ("in_review", "結果待ち"),
                };
                let mut detail = format!(
                    "元金 {}・利息 {}",
                    yen(d.principal.get()),
                    yen(d.interest.get())
                );
                if d.late_charge.get() > 0 {
                    detail.push_str(&format!("・遅延損害金 {}", yen(d.late_charge.get())));
                }
                if d.early {
                    detail.push_str("（繰上返済）");
                }
                DebitRow {
                    date: ja_date(d.debit_date),
                    amount: yen(d.amount.get()),
                    detail,
                    result,
                    result_text,
                }
            })
            .collect(),
        schedule: l
            .schedule
            .iter()
            .map(|(i, paid)| InstalmentRow {
                seq: i.seq,
                due: ja_date(i.due_date),
                amount: yen(i.total().get()),
                state: if paid.is_some() {
                    "返済済み"
                } else {
                    "未返済"
                },
            })
            .collect(),
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    mode: &'static str,
    early: Option<EarlyText>,
    errors: Vec<String>,
) -> Result<LoansPage, AppError> {
    let limits = state.app.loan_limits(&signed.actor, number).await?;
    let loans = state.app.contract_loans(&signed.actor, number).await?;
    Ok(LoansPage {
        layout: Layout::user(
            match mode {
                "confirm" => "繰上返済の確認",
                "done" => "繰上返済のお申し出",
                _ => "貸付けと返済",
            },
            &signed.user,
        ),
        number: number.to_string(),
        program_name: limits.program.name_ja(),
        safety_net: limits.program == Program::SafetyNet,
        temporary_limit: yen(limits.temporary_loan_limit.get()),
        bankruptcy_limit: yen(limits.bankruptcy_loan_multiple_limit.get()),
        member_limit: yen(limits.member_loan_limit.map_or(0, |y| y.get())),
        bankruptcy_rule: limits
            .bankruptcy_loan_multiple
            .map_or_else(String::new, |m| format!("（掛金総額の{m}倍まで）")),
        member_rule: months_ja(&limits.member_loan_recalculation_months),
        loans: loans.iter().map(card).collect(),
        early,
        mode,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match page(&state, &signed, &number, "list", None, Vec::new()).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    data: FormData,
) -> Response {
    match handle_post(&state, &signed, &number, &data).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    data: &FormData,
) -> Result<Response, AppError> {
    let loan_id = data.text("loan_id");
    let refused = |errors: Vec<FieldError>| async move {
        let p = page(
            state,
            signed,
            number,
            "list",
            None,
            errors.into_iter().map(|e| e.message).collect(),
        )
        .await?;
        Ok::<_, AppError>(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
    };
    let Ok(id) = loan_id.trim().parse::<LoanId>() else {
        return refused(vec![FieldError::new(
            "loan_id",
            "required",
            "繰上返済する貸付けを選んでください。",
        )])
        .await;
    };
    if data.get("action") == Some("submit") {
        let form = EarlyRepaymentForm {
            loan_id: Some(id.to_string()),
        };
        return match state
            .app
            .request_early_repayment(&signed.actor, number, &form, None)
            .await
        {
            Ok(answer) => {
                let done = answer.fresh()?;
                let q = EarlyRepaymentQuote {
                    loan_id: done.loan_id,
                    month: done
                        .month
                        .parse()
                        .map_err(|_| AppError::Internal("early repayment month".into()))?,
                    debit_date: done.debit_date,
                    principal: kyosai_domain::Yen::new(done.principal_yen),
                    interest: kyosai_domain::Yen::new(done.interest_yen),
                    late_charge: kyosai_domain::Yen::new(done.late_charge_yen),
                };
                let p = page(
                    state,
                    signed,
                    number,
                    "done",
                    Some(early_text(&q, done.application_id)),
                    Vec::new(),
                )
                .await?;
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => refused(errors).await,
            Err(e) => Err(e),
        };
    }
    match state
        .app
        .quote_early_repayment(&signed.actor, number, id)
        .await?
    {
        Some(q) => {
            let p = page(
                state,
                signed,
                number,
                "confirm",
                // The reference is shown on the done page only, once the application exists.
                Some(early_text(&q, ApplicationId::new(0))),
                Vec::new(),
            )
            .await?;
            Ok(render(StatusCode::OK, &p))
        }
        None => {
            refused(vec![FieldError::new(
                "loan_id",
                "rule",
                "この貸付けには返済の残りがありません（完済済み、または引落しの結果待ちです）。",
            )])
            .await
        }
    }
}

/// 「（4月・10月に見直し）」 from the recalculation months of the rule set.
pub(super) fn months_ja(months: &[i8]) -> String {
    if months.is_empty() {
        return String::new();
    }
    format!(
        "（{}に見直し）",
        months
            .iter()
            .map(|m| format!("{m}月"))
            .collect::<Vec<_>>()
            .join("・")
    )
}

/// A share of the rule set as Japanese write it: 1/10 → 「10分の1」.
pub(super) fn share_ja(share: kyosai_domain::Rate) -> String {
    format!("{}分の{}", share.den(), share.num())
}
