//! The staff loan book (issue #12 item 5): per program, the loans by where they stand (in
//! grace, repaying, in arrears, repaid) with the yen lent and still owed, and the two
//! reconciliations that must hold to the yen — lent = repaid principal + outstanding principal
//! (the repayment events against the schedules), and the premium ledger's reductions = the
//! 共済金貸付's 1/10 + what was recovered from premiums; then every loan, arrears first, each
//! with its history (schedule, debits with the bank's answers, recoveries and set-offs).

use jiff::civil::Date;
use kyosai_domain::{ApplicationId, LoanId, Program, Yen, rounding};
use kyosai_store::{loan_billing, loans};

use crate::loans::{LoanStatus, LoanView};
use crate::review::require_staff;
use crate::{Actor, App, AppError};

/// Loans of one status (or all, `status: None`) of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub status: Option<LoanStatus>,
    pub count: usize,
    pub lent: Yen,
    pub principal: Yen,
    /// Everything owed today (principal, interest due, late charges).
    pub owed: Yen,
}

impl StatusRow {
    fn new(status: Option<LoanStatus>) -> StatusRow {
        StatusRow {
            status,
            count: 0,
            lent: Yen::ZERO,
            principal: Yen::ZERO,
            owed: Yen::ZERO,
        }
    }

    fn add(&mut self, l: &LoanView) {
        self.count += 1;
        self.lent = rounding::add(self.lent, l.amount);
        self.principal = rounding::add(self.principal, l.balance.principal_yen);
        self.owed = rounding::add(self.owed, l.balance.total());
    }
}

/// One program's part of the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramBook {
    pub program: Program,
    pub rows: Vec<StatusRow>,
    pub total: StatusRow,
    /// Principal repaid by debits, recoveries and set-offs.
    pub repaid_principal: Yen,
    /// The premium ledger's `loan_reduction` total (positive) and what it should be.
    pub ledger_reductions: Yen,
    pub expected_reductions: Yen,
}

impl ProgramBook {
    /// Lent = repaid + outstanding principal.
    pub fn principal_agrees(&self) -> bool {
        self.total.lent == rounding::add(self.repaid_principal, self.total.principal)
    }

    pub fn ledger_agrees(&self) -> bool {
        self.ledger_reductions == self.expected_reductions
    }
}

/// One loan of the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLoan {
    pub number: String,
    pub program: Program,
    pub view: LoanView,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanBook {
    pub as_of: Date,
    pub programs: Vec<ProgramBook>,
    /// In arrears first, then by id.
    pub loans: Vec<BookLoan>,
}

/// A loan's history for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanHistory {
    pub number: String,
    pub program: Program,
    pub application_id: Option<ApplicationId>,
    pub view: LoanView,
    /// Repayments that were no debit: (recovered / set off, day, yen).
    pub settlements: Vec<(&'static str, Date, Yen)>,
}

impl App {
    /// The loan book as of today (staff only).
    pub async fn loan_book(&self, actor: &Actor) -> Result<LoanBook, AppError> {
        require_staff(actor)?;
        let today = self.clock.today();
        let mut conn = self.store.read().await?;
        let mut loans_out = Vec::new();
        for (l, program, number) in loans::book(&mut conn).await? {
            let program = Program::parse(&program)
                .ok_or_else(|| AppError::Internal(format!("loan {}: program", l.id).into()))?;
            let rules = self.rules_for(program)?;
            let view = self.loan_view(&mut conn, &rules, l, today).await?;
            loans_out.push(BookLoan {
                number,
                program,
                view,
            });
        }
        let mut programs = Vec::new();
        for program in Program::ALL {
            let mine: Vec<&BookLoan> = loans_out.iter().filter(|l| l.program == program).collect();
            if mine.is_empty() {
                continue;
            }
            let mut rows: Vec<StatusRow> = [
                LoanStatus::InGrace,
                LoanStatus::Repaying,
                LoanStatus::InArrears,
                LoanStatus::Repaid,
            ]
            .into_iter()
            .map(|s| StatusRow::new(Some(s)))
            .collect();
            let mut total = StatusRow::new(None);
            let mut reductions = Yen::ZERO;
            for l in &mine {
                if let Some(r) = rows.iter_mut().find(|r| r.status == Some(l.view.status)) {
                    r.add(&l.view);
                }
                total.add(&l.view);
                reductions = rounding::add(reductions, l.view.premium_reduction);
            }
            let t = loan_billing::book_totals(&mut conn, program.as_str()).await?;
            programs.push(ProgramBook {
                program,
                rows,
                total,
                repaid_principal: t.repaid_principal,
                ledger_reductions: Yen::new(-t.ledger_reductions.get()),
                expected_reductions: rounding::add(reductions, t.recovered),
            });
        }
        loans_out.sort_by_key(|l| (l.view.status != LoanStatus::InArrears, l.view.id));
        Ok(LoanBook {
            as_of: today,
            programs,
            loans: loans_out,
        })
    }

    /// One loan's history (staff only).
    pub async fn loan_history(&self, actor: &Actor, id: LoanId) -> Result<LoanHistory, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let (l, number) = loans::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let c = kyosai_store::contracts::by_number(&mut conn, &number)
            .await?
            .ok_or(AppError::NotFound)?;
        let rules = self.rules_for(c.program)?;
        let application_id = l.application_id;
        let view = self
            .loan_view(&mut conn, &rules, l, self.clock.today())
            .await?;
        let settlements = loan_billing::settlements(&mut conn, id)
            .await?
            .into_iter()
            .map(|(kind, on, yen)| {
                let name = match kind {
                    loan_billing::PaymentKind::Recovered => "掛金からの回収",
                    loan_billing::PaymentKind::SetOff => "共済金・解約手当金との相殺",
                    _ => "口座振替",
                };
                (name, on, yen)
            })
            .collect();
        Ok(LoanHistory {
            number,
            program: c.program,
            application_id,
            view,
            settlements,
        })
    }
}
