//! Loan repayment: schedules, exact day-count interest, late charges and outstanding balances
//! for the 倒産防止 loans (REFERENCE §5.1 共済金貸付, §5.2 一時貸付金).
//!
//! Every figure rounds once, down to the yen (円未満切捨て, [`crate::rounding`]). Interest and
//! late charges accrue per calendar day over a year of `days_in_year` days (the rule set's
//! 日割計算 basis), so a leap year's 366th day accrues like any other and a loan that runs over
//! 29 February owes one day more.

use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding::{self, Rounding};
use crate::rules::safety_net::{BankruptcyLoanRules, TemporaryLoanRules};
use crate::rules::small_enterprise::MemberLoanKind;

/// Which loan a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanKind {
    /// 共済金貸付 (REFERENCE §5.1).
    Bankruptcy,
    /// 一時貸付金 (REFERENCE §5.2).
    Temporary,
    /// 契約者貸付 of 小規模企業共済, by kind (REFERENCE §4).
    Member(MemberLoanKind),
}

impl LoanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanKind::Bankruptcy => "bankruptcy",
            LoanKind::Temporary => "temporary",
            LoanKind::Member(k) => match k {
                MemberLoanKind::General => "member_general",
                MemberLoanKind::Emergency => "member_emergency",
                MemberLoanKind::IllnessDisaster => "member_illness_disaster",
                MemberLoanKind::Welfare => "member_welfare",
                MemberLoanKind::NewBusiness => "member_new_business",
                MemberLoanKind::Succession => "member_succession",
                MemberLoanKind::ClosurePrep => "member_closure_prep",
                MemberLoanKind::DisasterSpecial => "member_disaster_special",
            },
        }
    }

    pub fn parse(s: &str) -> Option<LoanKind> {
        [LoanKind::Bankruptcy, LoanKind::Temporary]
            .into_iter()
            .chain(MemberLoanKind::ALL.into_iter().map(LoanKind::Member))
            .find(|k| k.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            LoanKind::Bankruptcy => "共済金貸付",
            LoanKind::Temporary => "一時貸付金",
            LoanKind::Member(k) => k.name_ja(),
        }
    }
}

/// The 倒産 of a trading partner that qualifies for a 共済金貸付 (REFERENCE §5.1 table). A
/// disappearance (夜逃げ) does not qualify and so has no variant: it cannot be requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BankruptcyEvent {
    /// 法的整理: application for 破産 / 再生 / 更生 / 特別清算 (倒産日: the application).
    LegalProceedings,
    /// 取引停止処分 by a clearing house (also でんさいネット) (倒産日: the disposition).
    SuspensionOfTransactions,
    /// 私的整理: a lawyer's or 認定司法書士's payment-stop notice (倒産日: the notice).
    PrivateSettlement,
    /// 災害による不渡り (倒産日: the clearing or presentation date of the bill).
    DisasterDishonour,
    /// 特定非常災害による支払不能 (倒産日: the lawyer's notice).
    SpecifiedDisaster,
}

impl BankruptcyEvent {
    pub const ALL: [BankruptcyEvent; 5] = [
        BankruptcyEvent::LegalProceedings,
        BankruptcyEvent::SuspensionOfTransactions,
        BankruptcyEvent::PrivateSettlement,
        BankruptcyEvent::DisasterDishonour,
        BankruptcyEvent::SpecifiedDisaster,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BankruptcyEvent::LegalProceedings => "legal_proceedings",
            BankruptcyEvent::SuspensionOfTransactions => "suspension_of_transactions",
            BankruptcyEvent::PrivateSettlement => "private_settlement",
            BankruptcyEvent::DisasterDishonour => "disaster_dishonour",
            BankruptcyEvent::SpecifiedDisaster => "specified_disaster",
        }
    }

    pub fn parse(s: &str) -> Option<BankruptcyEvent> {
        BankruptcyEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            BankruptcyEvent::LegalProceedings => "法的整理（破産・再生・更生・特別清算の申立て）",
            BankruptcyEvent::SuspensionOfTransactions => "手形交換所・でんさいネットの取引停止処分",
            BankruptcyEvent::PrivateSettlement => "私的整理（弁護士等による支払停止の通知）",
            BankruptcyEvent::DisasterDishonour => "災害による不渡り",
            BankruptcyEvent::SpecifiedDisaster => "特定非常災害による支払不能",
        }
    }

    /// Which day is the 倒産日 for this event, as the form asks for it.
    pub fn date_label_ja(self) -> &'static str {
        match self {
            BankruptcyEvent::LegalProceedings => "申立ての日",
            BankruptcyEvent::SuspensionOfTransactions => "取引停止処分の日",
            BankruptcyEvent::PrivateSettlement | BankruptcyEvent::SpecifiedDisaster => "通知の日",
            BankruptcyEvent::DisasterDishonour => "手形の交換日または呈示日",
        }
    }
}

/// Why a 倒産日 cannot be lent against on `today`: a date in the future, or a request after the
/// window (REFERENCE §5.1: within 6 months of the 倒産日). Empty when the date is acceptable.
pub fn bankruptcy_date_problems(
    rules: &BankruptcyLoanRules,
    bankruptcy_date: Date,
    today: Date,
) -> Vec<crate::error::Reason> {
    let mut out = Vec::new();
    if bankruptcy_date > today {
        out.push(crate::error::Reason::new(
            "date_in_future",
            "倒産日に将来の日付は指定できません。",
        ));
    }
    let last = months_after(bankruptcy_date, rules.request_window_months.value);
    if today > last {
        out.push(crate::error::Reason::new(
            "request_window",
            format!(
                "請求は取引先の倒産日から{}か月以内（{}まで）に行う必要があります。",
                rules.request_window_months.value, last
            ),
        ));
    }
    out
}

/// One repayment due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Instalment {
    /// 1-based position in the schedule.
    pub seq: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_date: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub principal_yen: Yen,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub interest_yen: Yen,
}

impl Instalment {
    pub fn total(&self) -> Yen {
        rounding::add(self.principal_yen, self.interest_yen)
    }
}

/// Interest on `principal` at the annual `rate` for the days from `from` (exclusive) to `to`
/// (inclusive), over a year of `days_in_year` days, rounded down to the yen. Zero when `to` is
/// not after `from`.
pub fn day_count_interest(
    principal: Yen,
    rate: Rate,
    from: Date,
    to: Date,
    days_in_year: u32,
) -> Yen {
    let days = days_between(from, to);
    if days <= 0 || principal <= Yen::ZERO || rate.is_zero() {
        return Yen::ZERO;
    }
    Rounding::YEN_FLOOR.apply_fraction(
        i128::from(principal.get()) * i128::from(rate.num()) * i128::from(days),
        i128::from(rate.den()) * i128::from(days_in_year.max(1)),
    )
}

/// Calendar days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

/// The day `months` after `start`, clamped to the month's end (31 January + 1 month = 28 or 29
/// February).
pub fn months_after(start: Date, months: u32) -> Date {
    start
        .checked_add(Span::new().months(i64::from(months)))
        .unwrap_or(Date::MAX)
}

/// The repayment of a 一時貸付金: its maturity (one term after disbursement), the interest for
/// the exact days and the single payment due then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemporaryRepayment {
    pub maturity_date: Date,
    pub interest: Yen,
    pub repayment: Yen,
    /// The interest rate is provisional in the rule set.
    pub estimate: bool,
}

pub fn temporary_repayment(
    rules: &TemporaryLoanRules,
    amount: Yen,
    disbursement: Date,
) -> TemporaryRepayment {
    let maturity_date = months_after(disbursement, rules.term_months.value);
    let interest = day_count_interest(
        amount,
        rules.interest_rate.value,
        disbursement,
        maturity_date,
        rules.interest_days_in_year.value,
    );
    TemporaryRepayment {
        maturity_date,
        interest,
        repayment: rounding::add(amount, interest),
        estimate: rules.interest_rate.provisional || rules.interest_days_in_year.provisional,
    }
}

/// The single-instalment schedule of a 一時貸付金.
pub fn temporary_schedule(
    rules: &TemporaryLoanRules,
    amount: Yen,
    disbursement: Date,
) -> Vec<Instalment> {
    let r = temporary_repayment(rules, amount, disbursement);
    vec![Instalment {
        seq: 1,
        due_date: r.maturity_date,
        principal_yen: amount,
        interest_yen: r.interest,
    }]
}

/// The 共済金貸付 schedule: after the grace period, equal monthly instalments over the rest of
/// the repayment period for the amount (REFERENCE §5.1: the period *includes* the 6-month
/// grace). The yen that do not divide evenly are repaid with the first instalment, so every
/// later one is the same and the schedule sums to the principal. Interest-free by the rules; a
/// non-zero rate would be charged on the balance per instalment month. Instalments fall due on
/// `due_day` of each month (clamped to the month's end). Empty when the amount is not positive.
/// `days_in_year` is the rule set's day-count basis (`temporary_loan.interest_days_in_year`,
/// the one convention for every loan's interest and late charges).
pub fn bankruptcy_schedule(
    rules: &BankruptcyLoanRules,
    amount: Yen,
    disbursement: Date,
    due_day: i8,
    days_in_year: u32,
) -> Vec<Instalment> {
    if amount <= Yen::ZERO {
        return Vec::new();
    }
    let years = rules.repayment_years_for(amount).unwrap_or(1);
    let grace = rules.grace_months.value;
    let count = (years * 12).saturating_sub(grace).max(1);
    let each = Yen::new(amount.get() / i64::from(count));
    let first = rounding::sub(amount, rounding::mul(each, i64::from(count - 1)));
    let start = YearMonth::of(disbursement);
    let mut balance = amount;
    let mut previous = disbursement;
    (1..=count)
        .map(|seq| {
            let due_date = start.plus((grace + seq) as i32).day(due_day);
            let principal = if seq == 1 { first } else { each };
            let interest = day_count_interest(
                balance,
                rules.interest_rate.value,
                previous,
                due_date,
                days_in_year,
            );
            balance = rounding::sub(balance, principal);
            previous = due_date;
            Instalment {
                seq,
                due_date,
                principal_yen: principal,
                interest_yen: interest,
            }
        })
        .collect()
}

/// Late charge (遅延損害金) on an unpaid amount from its due date (exclusive) to `paid_on`
/// (inclusive) at the annual `rate` (14.6%).
pub fn late_charge(unpaid: Yen, rate: Rate, due: Date, paid_on: Date, days_in_year: u32) -> Yen {
    day_count_interest(unpaid, rate, due, paid_on, days_in_year)
}

/// Whether an unpaid 一時貸付金 is now recovered from the premiums paid: more than
/// `recovery_after_months` after its maturity (REFERENCE §5.2).
pub fn temporary_recovery_due(rules: &TemporaryLoanRules, maturity: Date, as_of: Date) -> bool {
    as_of > months_after(maturity, rules.recovery_after_months.value)
}

/// What a borrower owes on one loan as of a date: the principal not yet repaid, the interest of
/// the instalments already due and not paid, and late charges on those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub principal_yen: Yen,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub interest_due_yen: Yen,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub late_charge_yen: Yen,
    /// Instalments due on or before the date and unpaid.
    pub overdue_instalments: u32,
}

impl Balance {
    /// Everything owed (deducted from a benefit or refund).
    pub fn total(&self) -> Yen {
        rounding::add(
            rounding::add(self.principal_yen, self.interest_due_yen),
            self.late_charge_yen,
        )
    }
}

/// The balance on `as_of` of a loan whose `open` instalments are not repaid yet. An instalment
/// is overdue once its first collection date has passed without it being repaid, unless a debit
/// of it is still awaiting the bank's answer (`pending`); overdue ones carry their late charge.
pub fn balance(
    open: &[OpenInstalment],
    pending: impl Fn(u32) -> bool,
    as_of: Date,
    late: Option<Rate>,
    days_in_year: u32,
) -> Balance {
    let mut b = Balance::default();
    for i in open {
        b.principal_yen = rounding::add(b.principal_yen, i.instalment.principal_yen);
        if i.instalment.due_date <= as_of {
            b.interest_due_yen = rounding::add(b.interest_due_yen, i.instalment.interest_yen);
        }
        if i.first_collection < as_of && !pending(i.instalment.seq) {
            b.overdue_instalments += 1;
            b.late_charge_yen = rounding::add(
                b.late_charge_yen,
                overdue_charge(i, as_of, late, days_in_year),
            );
        }
    }
    b
}

/// Early repayment of everything still owed on `as_of`: the unpaid principal, the interest of a
/// 一時貸付金 for the days actually borrowed (not the full term), and any late charges.
pub fn temporary_early_repayment(
    rules: &TemporaryLoanRules,
    amount: Yen,
    disbursement: Date,
    as_of: Date,
) -> Yen {
    let maturity = months_after(disbursement, rules.term_months.value);
    let interest = temporary_interest_until(rules, amount, disbursement, as_of);
    let late = late_charge(
        rounding::add(amount, interest),
        rules.late_interest.value,
        maturity,
        as_of,
        rules.interest_days_in_year.value,
    );
    rounding::add(rounding::add(amount, interest), late)
}

/// An unpaid instalment as billing sees it: with the day it was first to be debited (the debit
/// date of its due month). A debit that fails there leaves it overdue from that day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenInstalment {
    pub instalment: Instalment,
    pub first_collection: Date,
}

/// What one direct debit of a loan collects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoanDebit {
    /// The instalments it repays, in order.
    pub seqs: Vec<u32>,
    pub principal: Yen,
    pub interest: Yen,
    /// 遅延損害金 on the instalments whose first debit failed.
    pub late_charge: Yen,
}

impl LoanDebit {
    pub fn total(&self) -> Yen {
        rounding::add(
            rounding::add(self.principal, self.interest),
            self.late_charge,
        )
    }

    fn take(&mut self, i: &OpenInstalment, principal: bool, interest: bool, late: Yen) {
        self.seqs.push(i.instalment.seq);
        if principal {
            self.principal = rounding::add(self.principal, i.instalment.principal_yen);
        }
        if interest {
            self.interest = rounding::add(self.interest, i.instalment.interest_yen);
        }
        self.late_charge = rounding::add(self.late_charge, late);
    }
}

/// The late charge an open instalment carries when collected on `on`: from its first collection
/// date (exclusive) at the annual `late` rate, none when the rules set no rate (共済金貸付,
/// REFERENCE §5.1) or when `on` is its first collection date. Charged on principal and interest.
pub fn overdue_charge(i: &OpenInstalment, on: Date, late: Option<Rate>, days_in_year: u32) -> Yen {
    late.map_or(Yen::ZERO, |rate| {
        late_charge(
            i.instalment.total(),
            rate,
            i.first_collection,
            on,
            days_in_year,
        )
    })
}

/// The monthly debit of a loan on `debit_date` (the run of `month`): every open instalment due
/// in or before `month`, overdue ones with their late charge to the debit date. None when
/// nothing is due.
pub fn monthly_debit(
    open: &[OpenInstalment],
    month: YearMonth,
    debit_date: Date,
    late: Option<Rate>,
    days_in_year: u32,
) -> Option<LoanDebit> {
    let mut d = LoanDebit::default();
    for i in open
        .iter()
        .filter(|i| YearMonth::of(i.instalment.due_date) <= month)
    {
        d.take(
            i,
            true,
            true,
            overdue_charge(i, debit_date, late, days_in_year),
        );
    }
    (!d.seqs.is_empty()).then_some(d)
}

/// The debit that repays a loan in full on `debit_date` (繰上返済): all open principal, the
/// interest of the instalments already due, late charges, and `accrued_interest` for the time
/// borrowed that no due instalment carries (a 一時貸付金's interest for the days actually
/// borrowed, [`temporary_interest_until`]). None when nothing is open.
pub fn early_debit(
    open: &[OpenInstalment],
    debit_date: Date,
    accrued_interest: Yen,
    late: Option<Rate>,
    days_in_year: u32,
) -> Option<LoanDebit> {
    let mut d = LoanDebit::default();
    for i in open {
        let due = i.instalment.due_date <= debit_date;
        d.take(
            i,
            true,
            due,
            overdue_charge(i, debit_date, late, days_in_year),
        );
    }
    d.interest = rounding::add(d.interest, accrued_interest);
    (!d.seqs.is_empty()).then_some(d)
}

/// A 一時貸付金's interest from disbursement to `until` (at most its maturity): what an early
/// repayment pays instead of the full term's interest.
pub fn temporary_interest_until(
    rules: &TemporaryLoanRules,
    amount: Yen,
    disbursement: Date,
    until: Date,
) -> Yen {
    let maturity = months_after(disbursement, rules.term_months.value);
    day_count_interest(
        amount,
        rules.interest_rate.value,
        disbursement,
        until.min(maturity),
        rules.interest_days_in_year.value,
    )
}

/// The 1/10 of a 共済金貸付 that reduces the 掛金総額 (掛金の権利, REFERENCE §5.1).
pub fn premium_rights_reduction(rules: &BankruptcyLoanRules, amount: Yen) -> Yen {
    rounding::apply_rate(amount, rules.premium_reduction.value)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::program::Program;
    use crate::rules::{RuleBook, SafetyNetRules};

    fn rules() -> SafetyNetRules {
        RuleBook::embedded()
            .expect("rules load")
            .in_force(Program::SafetyNet, date(2026, 4, 1))
            .and_then(|s| s.safety_net.clone())
            .expect("safety_net rules")
    }

    #[test]
    fn interest_counts_leap_days() {
        let r = Rate::percent(1);
        // 2027-03-01 → 2028-03-01 spans 29 Feb 2028: 366 days.
        assert_eq!(
            day_count_interest(
                Yen::new(3_650_000),
                r,
                date(2027, 3, 1),
                date(2028, 3, 1),
                365
            ),
            Yen::new(36_600)
        );
        // 2026-03-01 → 2027-03-01: 365 days.
        assert_eq!(
            day_count_interest(
                Yen::new(3_650_000),
                r,
                date(2026, 3, 1),
                date(2027, 3, 1),
                365
            ),
            Yen::new(36_500)
        );
        // Rounds down: 1,000,000 × 0.9% × 10/365 = 246.57…
        assert_eq!(
            day_count_interest(
                Yen::new(1_000_000),
                Rate::new(9, 1000).unwrap(),
                date(2026, 1, 1),
                date(2026, 1, 11),
                365
            ),
            Yen::new(246)
        );
    }

    #[test]
    fn bankruptcy_dates() {
        let set = rules();
        let b = &set.bankruptcy_loan;
        let today = date(2027, 11, 24);
        assert!(bankruptcy_date_problems(b, date(2027, 5, 24), today).is_empty());
        let late = bankruptcy_date_problems(b, date(2027, 5, 23), today);
        assert_eq!(late[0].code, "request_window");
        let future = bankruptcy_date_problems(b, date(2027, 11, 25), today);
        assert_eq!(future[0].code, "date_in_future");
        for k in [LoanKind::Bankruptcy, LoanKind::Temporary]
            .into_iter()
            .chain(MemberLoanKind::ALL.into_iter().map(LoanKind::Member))
        {
            assert_eq!(LoanKind::parse(k.as_str()), Some(k));
        }
        for e in BankruptcyEvent::ALL {
            assert_eq!(BankruptcyEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(BankruptcyEvent::parse("disappearance"), None);
    }

    #[test]
    fn month_ends_clamp() {
        assert_eq!(months_after(date(2027, 1, 31), 1), date(2027, 2, 28));
        assert_eq!(months_after(date(2028, 1, 31), 1), date(2028, 2, 29));
        assert_eq!(months_after(date(2028, 2, 29), 12), date(2029, 2, 28));
    }

    #[test]
    fn temporary_table() {
        let set = rules();
        let t = &set.temporary_loan;
        let r = temporary_repayment(t, Yen::new(1_000_000), date(2026, 5, 20));
        assert_eq!(r.maturity_date, date(2027, 5, 20));
        // 0.9% × 365/365.
        assert_eq!(r.interest, Yen::new(9_000));
        assert_eq!(r.repayment, Yen::new(1_009_000));
        // Over 29 Feb 2028: 366 days.
        let leap = temporary_repayment(t, Yen::new(1_000_000), date(2027, 5, 20));
        assert_eq!(leap.interest, Yen::new(9_024));
        assert!(!temporary_recovery_due(
            t,
            date(2027, 5, 20),
            date(2027, 10, 20)
        ));
        assert!(temporary_recovery_due(
            t,
            date(2027, 5, 20),
            date(2027, 10, 21)
        ));
        // Late: 1,009,000 × 14.6% × 10/365 = 4,036.
        assert_eq!(
            temporary_early_repayment(t, Yen::new(1_000_000), date(2026, 5, 20), date(2027, 5, 30)),
            Yen::new(1_009_000 + 4_036)
        );
        // Repaid early after 100 days: 1,000,000 × 0.9% × 100/365 = 2,465.
        assert_eq!(
            temporary_early_repayment(t, Yen::new(1_000_000), date(2026, 5, 20), date(2026, 8, 28)),
            Yen::new(1_002_465)
        );
    }

    #[test]
    fn bankruptcy_table() {
        let set = rules();
        let b = &set.bankruptcy_loan;
        // 10,000,000 < 50,000,000: 5 years incl. 6 months' grace → 54 instalments.
        let s = bankruptcy_schedule(b, Yen::new(10_000_000), date(2026, 6, 15), 27, 365);
        assert_eq!(s.len(), 54);
        assert_eq!(s[0].due_date, date(2027, 1, 27));
        assert_eq!(s[53].due_date, date(2031, 6, 27));
        assert_eq!(s[1].principal_yen, Yen::new(185_185));
        assert_eq!(s[0].principal_yen, Yen::new(10_000_000 - 185_185 * 53));
        // 60,000,000: 6 years → 66; 70,000,000: 7 years → 78.
        assert_eq!(
            bankruptcy_schedule(b, Yen::new(60_000_000), date(2026, 6, 15), 27, 365).len(),
            66
        );
        assert_eq!(
            bankruptcy_schedule(b, Yen::new(70_000_000), date(2026, 6, 15), 27, 365).len(),
            78
        );
        assert_eq!(
            premium_rights_reduction(b, Yen::new(10_000_000)),
            Yen::new(1_000_000)
        );
        let open: Vec<OpenInstalment> = s[3..]
            .iter()
            .map(|i| OpenInstalment {
                instalment: *i,
                first_collection: i.due_date,
            })
            .collect();
        let bal = balance(&open, |_| false, date(2027, 5, 1), None, 365);
        assert_eq!(
            bal.principal_yen,
            Yen::new(10_000_000 - s[0].principal_yen.get() - 185_185 * 2)
        );
        assert_eq!(bal.overdue_instalments, 1);
    }
}
