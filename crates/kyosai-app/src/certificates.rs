//! The figures of the tax documents, read from the premium ledger on the day they are asked for
//! (issue #13; REFERENCE §7): the 小規模企業共済掛金控除証明書 of a calendar year and, for
//! 倒産防止, the annual 掛金納付状況 statement (its premiums are business expenses, not a deduction).
//!
//! Money counts in the year it arrived: a debit in the month it was collected, a 前納 in the month
//! it was received (one year ahead at most is deductible at once, REFERENCE §2.3). The deductible
//! amount is what was paid less the 前納減額金 received in the year (REFERENCE §2.3 "Tax effect").
//! When the year's amount cannot be fixed (premiums of the year still unpaid, or a 前納 received
//! in the year that covers a later year), the deductible amount is printed as "****" and is
//! `None` here (REFERENCE §7.1, SMRJ FAQ 1060).

use kyosai_domain::{Program, YearMonth, Yen};
use kyosai_store::contracts::Contract;
use kyosai_store::ledger;
use serde::Serialize;

use crate::billing::{internal, parse_month};
use crate::{Actor, App, AppError};

/// Money collected in one month of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaidMonth {
    pub month: YearMonth,
    pub amount_yen: i64,
    /// Premium months this money paid.
    pub months: i64,
    /// True for a 前納 received that month (money outside the debit file).
    pub prepayment: bool,
}

/// Why the deductible amount is "****".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unfixed {
    /// Premiums of the year are unpaid: they may still be paid, in this year or a later one.
    UnpaidPremiums,
    /// A 前納 received in the year covers months of a later year.
    CrossYearPrepayment,
}

impl Unfixed {
    pub fn explanation_ja(self) -> &'static str {
        match self {
            Self::UnpaidPremiums => {
                "未納の掛金があるため、この年の控除額を確定できません。控除額は「****」と表示しています。"
            }
            Self::CrossYearPrepayment => {
                "翌年以降の月分を含む前納があるため、この年の控除額を確定できません。控除額は「****」と表示しています。"
            }
        }
    }
}

/// A 小規模 contract's 掛金控除証明書 figures for one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmallEnterpriseCertificate {
    pub year: i16,
    pub contract_number: String,
    pub holder_name: String,
    /// The monthly premium in force at the end of the year (or today, for the current year).
    pub monthly_premium_yen: i64,
    /// Premiums collected in the year, 前納 received included.
    pub paid_yen: i64,
    pub months_paid_in_year: i64,
    pub by_month: Vec<PaidMonth>,
    /// 前納 received in the year (part of `paid_yen`).
    pub prepayment_applied_yen: i64,
    /// 前納減額金 received in the year (deducted from the paid amount).
    pub prepayment_discount_yen: i64,
    /// The current year only: debits still expected up to December (billed and not yet
    /// answered, and planned by the billing cycle), arrears left out.
    pub expected_by_december_yen: Option<i64>,
    /// Paid (plus expected, for the current year) less 前納減額金; None prints as "****".
    pub deductible_yen: Option<i64>,
    pub unfixed: Option<Unfixed>,
}

/// A 倒産防止 contract's 掛金納付状況 for one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafetyNetStatement {
    pub year: i16,
    pub contract_number: String,
    pub holder_name: String,
    pub paid_yen: i64,
    pub months_paid_in_year: i64,
    pub by_month: Vec<PaidMonth>,
    /// Premiums of the year paid within two years of an earlier cancellation: not deductible as
    /// a business expense (措法66条の11, REFERENCE §5.4).
    pub non_deductible_yen: i64,
    pub tax_notice: Option<String>,
}

impl App {
    /// The money collected in `year`, month by month.
    async fn paid_in_year(
        &self,
        conn: &mut sqlx::AnyConnection,
        c: &Contract,
        year: i16,
    ) -> Result<Vec<PaidMonth>, AppError> {
        let entries =
            ledger::collected_in(conn, c.id, &format!("{year}-01"), &format!("{year}-12")).await?;
        entries
            .iter()
            .map(|e| {
                Ok(PaidMonth {
                    month: parse_month(&e.month)?,
                    amount_yen: e.amount,
                    months: e.months,
                    prepayment: e.bill_line_id.is_none(),
                })
            })
            .collect()
    }

    /// The 控除証明書 figures of a 小規模 contract for `year`, current as of today. `NotFound` for
    /// a 倒産防止 contract, a year not begun, or a year with no premiums paid or expected.
    pub async fn small_enterprise_certificate(
        &self,
        actor: &Actor,
        number: &str,
        year: i16,
    ) -> Result<SmallEnterpriseCertificate, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        let today = YearMonth::of(self.clock.today());
        if c.program != Program::SmallEnterprise || year > today.year() {
            return Err(AppError::NotFound);
        }
        let by_month = self.paid_in_year(&mut conn, &c, year).await?;
        let (facts, stored, hist, standing) = self.billing_facts(&mut conn, &c).await?;
        let prepayments = kyosai_store::prepayment::for_contract(&mut conn, c.id).await?;
        let discounts = kyosai_store::prepayment::for_contract_years(&mut conn, c.id).await?;
        drop(conn);
        let december = YearMonth::new(year, 12).ok_or_else(|| internal("a year out of range"))?;
        let paid_yen = by_month.iter().map(|m| m.amount_yen).sum();
        let months_paid_in_year = by_month.iter().map(|m| m.months).sum();
        let prepayment_applied_yen = by_month
            .iter()
            .filter(|m| m.prepayment)
            .map(|m| m.amount_yen)
            .sum();
        let prepayment_discount_yen = discounts
            .iter()
            .filter(|d| matches!(d.status.as_str(), "paid" | "paid_with_refund"))
            .filter(|d| {
                d.paid_on
                    .as_deref()
                    .is_some_and(|on| on.starts_with(&format!("{year}-")))
            })
            .map(|d| d.accumulated_yen)
            .sum::<i64>();
        let expected_by_december_yen = if year == today.year() {
            // Billed and not yet answered by a result file, then what the cycle plans.
            let pending: i64 = hist
                .iter()
                .filter(|h| h.month.year() == year)
                .filter(|h| h.result == kyosai_domain::billing::LineResult::Pending)
                .map(|h| h.amount.get())
                .sum();
            let planned: i64 = self
                .projected_debits(c.program, &stored, &facts, 12)?
                .iter()
                .filter(|d| d.month <= december)
                .flat_map(|d| &d.items)
                .filter(|i| !i.arrears)
                .map(|i| i.amount.get())
                .sum();
            Some(pending + planned)
        } else {
            None
        };
        if paid_yen == 0 && expected_by_december_yen.unwrap_or(0) == 0 {
            return Err(AppError::NotFound);
        }
        let unfixed = if standing.unpaid.iter().any(|u| u.month.year() == year) {
            Some(Unfixed::UnpaidPremiums)
        } else if prepayments
            .iter()
            .any(|p| p.paid_month.year() == year && p.last_month > december)
        {
            Some(Unfixed::CrossYearPrepayment)
        } else {
            None
        };
        let deductible_yen = match unfixed {
            Some(_) => None,
            None => {
                Some(paid_yen + expected_by_december_yen.unwrap_or(0) - prepayment_discount_yen)
            }
        };
        Ok(SmallEnterpriseCertificate {
            year,
            contract_number: c.number,
            holder_name: c.holder_name,
            monthly_premium_yen: facts.premium_for(december.min(today)).get(),
            paid_yen,
            months_paid_in_year,
            by_month,
            prepayment_applied_yen,
            prepayment_discount_yen,
            expected_by_december_yen,
            deductible_yen,
            unfixed,
        })
    }

    /// The 掛金納付状況 of a 倒産防止 contract for `year`. `NotFound` for a 小規模 contract or a
    /// year with nothing paid.
    pub async fn safety_net_statement(
        &self,
        actor: &Actor,
        number: &str,
        year: i16,
    ) -> Result<SafetyNetStatement, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        if c.program != Program::SafetyNet {
            return Err(AppError::NotFound);
        }
        let by_month = self.paid_in_year(&mut conn, &c, year).await?;
        let earlier =
            kyosai_store::contracts::earlier_cancellation(&mut conn, c.id, c.program).await?;
        drop(conn);
        if by_month.is_empty() {
            return Err(AppError::NotFound);
        }
        let window = self.non_deductible_window(earlier.as_deref())?;
        let mut non_deductible_yen = 0;
        for m in &by_month {
            let rules = self.billing_rules(c.program, m.month)?;
            let date =
                kyosai_domain::schedule::debit_date(&rules.collection, &self.calendar, m.month);
            if window.is_some_and(|(from, until)| (from..=until).contains(&date)) {
                non_deductible_yen += m.amount_yen;
            }
        }
        Ok(SafetyNetStatement {
            year,
            contract_number: c.number,
            holder_name: c.holder_name,
            paid_yen: by_month.iter().map(|m| m.amount_yen).sum(),
            months_paid_in_year: by_month.iter().map(|m| m.months).sum(),
            tax_notice: window.filter(|_| non_deductible_yen > 0).map(|(from, until)| {
                format!(
                    "以前の経営セーフティ共済の契約が{}に解約されているため、{}までに納付した掛金（{}）は、税法上、損金または必要経費に算入できません（租税特別措置法第66条の11ほか）。",
                    crate::ja_text::ja_date(from),
                    crate::ja_text::ja_date(until),
                    Yen::new(non_deductible_yen)
                )
            }),
            by_month,
            non_deductible_yen,
        })
    }
}
