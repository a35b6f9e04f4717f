//! The staff loan book, `/staff/loans` (issue #12 item 5): per program the loans by status with
//! the yen lent and owed and the two reconciliations (`App::loan_book`), then every loan,
//! arrears first; `/staff/loans/{id}`: one loan's history — schedule, debits with the bank's
//! answers, recoveries and set-offs (`App::loan_history`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::loans::{DebitResult, LoanView};
use kyosai_domain::LoanId;

use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::session::SignedIn;

struct Row {
    status: &'static str,
    count: usize,
    lent: String,
    principal: String,
    owed: String,
}

struct ProgramItem {
    name: &'static str,
    rows: Vec<Row>,
    total: Row,
    repaid: String,
    principal_agrees: bool,
    ledger: String,
    expected: String,
    ledger_agrees: bool,
}

struct LoanItem {
    id: LoanId,
    number: String,
    program: &'static str,
    kind: &'static str,
    amount: String,
    disbursed: String,
    status: &'static str,
    status_text: &'static str,
    owed: String,
    overdue: u32,
}

#[derive(Template)]
#[template(path = "staff_loans.html")]
struct BookPage {
    layout: Layout,
    as_of: String,
    programs: Vec<ProgramItem>,
    loans: Vec<LoanItem>,
}

fn row(r: &kyosai_app::loan_book::StatusRow) -> Row {
    Row {
        status: r.status.map_or("合計", |s| s.name_ja()),
        count: r.count,
        lent: yen(r.lent.get()),
        principal: yen(r.principal.get()),
        owed: yen(r.owed.get()),
    }
}

pub async fn book(State(state): State<AppState>, signed: SignedIn) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state.app.loan_book(&signed.actor).await {
        Ok(b) => render(
            StatusCode::OK,
            &BookPage {
                layout: Layout::user("貸付台帳", &signed.user),
                as_of: ja_date(b.as_of),
                programs: b
                    .programs
                    .iter()
                    .map(|p| ProgramItem {
                        name: p.program.name_ja(),
                        rows: p.rows.iter().map(row).collect(),
                        total: row(&p.total),
                        repaid: yen(p.repaid_principal.get()),
                        principal_agrees: p.principal_agrees(),
                        ledger: yen(p.ledger_reductions.get()),
                        expected: yen(p.expected_reductions.get()),
                        ledger_agrees: p.ledger_agrees(),
                    })
                    .collect(),
                loans: b
                    .loans
                    .iter()
                    .map(|l| LoanItem {
                        id: l.view.id,
                        number: l.number.clone(),
                        program: l.program.name_ja(),
                        kind: l.view.kind.name_ja(),
                        amount: yen(l.view.amount.get()),
                        disbursed: ja_date(l.view.disbursement_date),
                        status: l.view.status.as_str(),
                        status_text: l.view.status.name_ja(),
                        owed: yen(l.view.balance.total().get()),
                        overdue: l.view.balance.overdue_instalments,
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

struct Line {
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff_loan.html")]
struct HistoryPage {
    layout: Layout,
    number: String,
    program: &'static str,
    application_id: String,
    status_text: &'static str,
    summary: Vec<(&'static str, String)>,
    debits: Vec<Line>,
    settlements: Vec<Line>,
    schedule: Vec<Line>,
}

fn summary(v: &LoanView) -> Vec<(&'static str, String)> {
    vec![
        ("種類", v.kind.name_ja().to_string()),
        ("貸付額", yen(v.amount.get())),
        ("送金日", ja_date(v.disbursement_date)),
        ("最終期日", ja_date(v.maturity_date)),
        (
            "共済金貸付による掛金総額の減額",
            yen(v.premium_reduction.get()),
        ),
        ("元金残高", yen(v.balance.principal_yen.get())),
        ("期日の来た利息", yen(v.balance.interest_due_yen.get())),
        ("遅延損害金", yen(v.balance.late_charge_yen.get())),
        ("延滞回数", v.balance.overdue_instalments.to_string()),
        (
            "繰上返済の申出",
            v.early_repayment_month
                .clone()
                .unwrap_or_else(|| "なし".into()),
        ),
    ]
}

pub async fn history(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<LoanId>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let page = async {
        let h = state.app.loan_history(&signed.actor, id).await?;
        let v = &h.view;
        Ok::<_, AppError>(HistoryPage {
            layout: Layout::user(format!("貸付の履歴（{}）", v.kind.name_ja()), &signed.user),
            number: h.number.clone(),
            program: h.program.name_ja(),
            application_id: h.application_id.map_or_else(String::new, |a| a.to_string()),
            status_text: v.status.name_ja(),
            summary: summary(v),
            debits: v
                .debits
                .iter()
                .map(|d| Line {
                    cells: vec![
                        d.month.to_string(),
                        ja_date(d.debit_date),
                        d.seqs
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join("・"),
                        yen(d.principal.get()),
                        yen(d.interest.get()),
                        yen(d.late_charge.get()),
                        yen(d.amount.get()),
                        match d.result {
                            DebitResult::Collected => "振替済".into(),
                            DebitResult::Failed => {
                                format!("振替不能（{}）", d.result_code.unwrap_or(9))
                            }
                            DebitResult::Pending => "結果待ち".into(),
                        },
                    ],
                })
                .collect(),
            settlements: h
                .settlements
                .iter()
                .map(|(kind, on, y)| Line {
                    cells: vec![kind.to_string(), ja_date(*on), yen(y.get())],
                })
                .collect(),
            schedule: v
                .schedule
                .iter()
                .map(|(i, paid)| Line {
                    cells: vec![
                        i.seq.to_string(),
                        ja_date(i.due_date),
                        yen(i.principal_yen.get()),
                        yen(i.interest_yen.get()),
                        paid.map_or_else(|| "未返済".into(), ja_date),
                    ],
                })
                .collect(),
        })
    }
    .await;
    match page {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
