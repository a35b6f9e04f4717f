//! What the public calculators may take from the logged-in member's own contract: the monthly
//! premium, the months and yen paid so far and the months since joining. Paid months and yen come
//! from the premium ledger (opening balance and collected debits), so failed or pending debits,
//! premium changes and prepayments are counted as they really were, not estimated.

use jiff::civil::Date;
use kyosai_domain::{ContractStatus, Program, YearMonth};
use kyosai_store::{contracts, paid};

use crate::{Actor, App, AppError, Role};

/// A member's contract as a calculator form is pre-filled from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalculatorPrefill {
    pub number: String,
    pub program_name: String,
    pub monthly_premium_yen: i64,
    /// Months paid: the opening balance's months and every collected debit's.
    pub months_paid: i64,
    /// Whole months from the contract date to today.
    pub months_since_joining: i64,
    /// Yen paid: the opening balance and every collected debit.
    pub total_paid_yen: i64,
    pub first_debit_month: Option<YearMonth>,
}

impl App {
    /// The actor's own contract of `program` (the newest active one, else the newest). `None`
    /// for anyone but a member, and for a member without such a contract.
    pub async fn calculator_prefill(
        &self,
        actor: &Actor,
        program: Program,
    ) -> Result<Option<CalculatorPrefill>, AppError> {
        if actor.role != Role::Member {
            return Ok(None);
        }
        let mut conn = self.store.read().await?;
        let mut mine: Vec<_> = contracts::for_member(&mut conn, actor.user_id)
            .await?
            .into_iter()
            .filter(|c| c.program == program)
            .collect();
        let Some(pick) = mine
            .iter()
            .rposition(|c| c.status == ContractStatus::Active)
            .or_else(|| mine.len().checked_sub(1))
        else {
            return Ok(None);
        };
        let c = mine.swap_remove(pick);
        let paid = paid::so_far(&mut conn, c.id).await?;
        let today = self.clock.today();
        Ok(Some(CalculatorPrefill {
            program_name: program.name_ja().to_string(),
            monthly_premium_yen: c.monthly_premium.get(),
            months_paid: paid.months,
            months_since_joining: whole_months(c.start_date, today),
            total_paid_yen: paid.yen,
            first_debit_month: Some(c.first_debit_month),
            number: c.number,
        }))
    }
}

/// Whole months from `start` to `today` (`2026-01-15` → `2026-03-14` is 1).
pub(crate) fn whole_months(start: Date, today: Date) -> i64 {
    let months = i64::from(today.year() - start.year()) * 12
        + i64::from(today.month() - start.month())
        - i64::from(today.day() < start.day());
    months.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_months_count_completed_months() {
        let d = |y, m, d| Date::new(y, m, d).unwrap();
        assert_eq!(whole_months(d(2026, 1, 15), d(2026, 3, 14)), 1);
        assert_eq!(whole_months(d(2026, 1, 15), d(2026, 3, 15)), 2);
        assert_eq!(whole_months(d(2026, 1, 15), d(2025, 3, 15)), 0);
        assert_eq!(whole_months(d(2020, 4, 1), d(2026, 4, 1)), 72);
    }
}
