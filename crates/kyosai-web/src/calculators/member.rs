//! Pre-filling a calculator from the logged-in member's own contract: the monthly premium, the
//! months paid so far and the total paid (premium × months). Months paid are estimated from the
//! first debit month to the current month (the current month counts once its debit date has
//! passed); premium changes, arrears and prepayments are not taken into account, which the
//! notice says.

use jiff::civil::Date;
use kyosai_app::{Actor, App, Role};
use kyosai_domain::{Program, YearMonth, schedule};
use kyosai_store::users::User;

use super::form::{months_text, yen};

/// What a calculator may take from a contract.
pub(crate) struct ContractFacts {
    pub number: String,
    pub program_name: String,
    pub monthly_premium_yen: i64,
    /// Estimated: debits from the first debit month up to today.
    pub months_paid: i64,
    /// Whole months from the contract date to today.
    pub months_since_joining: i64,
    /// `monthly_premium_yen × months_paid`, within the accumulation cap.
    pub total_paid_yen: i64,
    pub first_debit_month: Option<YearMonth>,
}

impl ContractFacts {
    /// The sentence shown above a pre-filled form.
    pub fn prefill_notice(&self, filled: &[(&'static str, String)]) -> String {
        let has = |name: &str| filled.iter().any(|(k, _)| *k == name);
        let mut parts = vec![format!("掛金月額 {}", yen(self.monthly_premium_yen))];
        if has("months_paid") || has("h1_months") {
            let since = self
                .first_debit_month
                .map(|m| {
                    format!(
                        "（{}年{}月の初回引落しから今月までの概算）",
                        m.year(),
                        m.month()
                    )
                })
                .unwrap_or_default();
            parts.push(format!("納付月数 {}{since}", months_text(self.months_paid)));
        }
        if has("total_paid_yen") {
            parts.push(format!("掛金総額 {}", yen(self.total_paid_yen)));
        }
        format!(
            "ご契約（{}、共済契約者番号 {}）の内容を入力しました：{}。掛金の変更・未納・前納があった場合は実際と異なるので、書き換えてから計算してください。",
            self.program_name,
            self.number,
            parts.join("、")
        )
    }
}

/// The member's own contract of `program` (the newest active one, else the newest), read through
/// the same authorized overview as the portal. `None` for staff, without a contract, or on a
/// store error (the calculator then simply starts empty).
pub(crate) async fn contract(app: &App, user: &User, program: Program) -> Option<ContractFacts> {
    if Role::parse(&user.role) != Some(Role::Member) {
        return None;
    }
    let actor = Actor {
        user_id: user.id,
        role: Role::Member,
    };
    let overview = match app.overview(&actor, user.id).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, "calculator pre-fill: overview unavailable");
            return None;
        }
    };
    let mut mine: Vec<_> = overview
        .contracts
        .into_iter()
        .filter(|c| c.program == program.as_str())
        .collect();
    let pick = mine
        .iter()
        .rposition(|c| c.status == "active")
        .or_else(|| mine.len().checked_sub(1))?;
    let c = mine.swap_remove(pick);
    // The overview does not carry the first debit month; the member's own row does.
    let first_debit_month = first_debit_month(app, user.id, &c.number).await;
    let today = app.clock.today();
    let start = c.start_date.parse::<Date>().ok();
    let months_paid = first_debit_month
        .or_else(|| start.map(YearMonth::of))
        .map_or(0, |first| months_debited(app, program, first, today));
    let cap = app
        .rules
        .in_force(program, today)
        .and_then(|r| {
            r.premium
                .accumulation_cap_yen
                .as_ref()
                .map(|c| c.value.get())
        })
        .unwrap_or(i64::MAX);
    Some(ContractFacts {
        number: c.number,
        program_name: c.program_name,
        monthly_premium_yen: c.monthly_premium_yen,
        months_paid,
        months_since_joining: start.map_or(0, |s| whole_months(s, today)),
        total_paid_yen: c.monthly_premium_yen.saturating_mul(months_paid).min(cap),
        first_debit_month,
    })
}

async fn first_debit_month(app: &App, member_id: i64, number: &str) -> Option<YearMonth> {
    let mut conn = app.store.read().await.ok()?;
    let rows = kyosai_store::contracts::for_member(&mut conn, member_id)
        .await
        .ok()?;
    rows.into_iter()
        .find(|r| r.number == number && r.member_id == member_id)
        .and_then(|r| r.first_debit_month.parse().ok())
}

/// Debits from `first` up to today: the current month counts once its debit date has passed.
fn months_debited(app: &App, program: Program, first: YearMonth, today: Date) -> i64 {
    let this_month = YearMonth::of(today);
    let due_this_month = app
        .rules
        .in_force(program, today)
        .map(|r| schedule::debit_date(&r.collection, &app.calendar, this_month));
    let last = match due_this_month {
        Some(d) if d <= today => this_month,
        _ => this_month.plus(-1),
    };
    if last < first {
        0
    } else {
        i64::from(first.months_until(last)) + 1
    }
}

/// Whole months from `start` to `today` (`2026-01-15` → `2026-03-14` is 1).
fn whole_months(start: Date, today: Date) -> i64 {
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
