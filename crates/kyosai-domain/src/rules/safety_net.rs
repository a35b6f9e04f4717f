//! Rule-set section for the 経営セーフティ共済 calculators (REFERENCE §2.3–§2.6, §5).

use serde::{Deserialize, Serialize};

use super::small_enterprise::PrepaymentRules;
use super::tables::RateTable;
use super::{Sourced, require_source};
use crate::money::Yen;
use crate::rate::Rate;

/// How a 倒産防止 contract ends (REFERENCE §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cancellation {
    /// 任意解約.
    Voluntary,
    /// みなし解約 (death, dissolution, whole transfer …).
    Deemed,
    /// 機構解約 (12+ months unpaid, fraud).
    ByOrganization,
}

impl Cancellation {
    pub fn name_ja(self) -> &'static str {
        match self {
            Cancellation::Voluntary => "任意解約",
            Cancellation::Deemed => "みなし解約",
            Cancellation::ByOrganization => "機構解約",
        }
    }
}

/// 解約手当金 (REFERENCE §5.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationRules {
    pub min_months: Sourced<u32>,
    pub voluntary: Sourced<RateTable>,
    pub deemed: Sourced<RateTable>,
    pub by_organization: Sourced<RateTable>,
    /// Share of 共済金 loans received that is deducted from 掛金総額 (1/10).
    pub loan_deduction: Sourced<Rate>,
    /// Bank business days from the cancellation decision to the transfer of the refund (the
    /// payment date quoted before a member confirms a 任意解約).
    pub refund_payment_business_days: Sourced<u32>,
}

impl CancellationRules {
    pub fn rates(&self, c: Cancellation) -> &Sourced<RateTable> {
        match c {
            Cancellation::Voluntary => &self.voluntary,
            Cancellation::Deemed => &self.deemed,
            Cancellation::ByOrganization => &self.by_organization,
        }
    }

    /// Months paid from which a cancellation of this kind returns all the premiums (任意解約:
    /// 40), read from the table so the pages say what the computation does.
    pub fn full_refund_from_months(&self, c: Cancellation) -> Option<u32> {
        self.rates(c)
            .value
            .0
            .iter()
            .find(|b| b.rate >= Rate::ONE)
            .map(|b| b.from)
    }

    fn check(&self, p: &mut Vec<String>) {
        let n = "safety_net.cancellation";
        require_source(&format!("{n}.min_months"), &self.min_months, p);
        require_source(&format!("{n}.loan_deduction"), &self.loan_deduction, p);
        require_source(
            &format!("{n}.refund_payment_business_days"),
            &self.refund_payment_business_days,
            p,
        );
        for (name, t) in [
            ("voluntary", &self.voluntary),
            ("deemed", &self.deemed),
            ("by_organization", &self.by_organization),
        ] {
            let full = format!("{n}.{name}");
            require_source(&full, t, p);
            t.value.check(&full, Rate::ONE, p);
        }
        if self.loan_deduction.value > Rate::ONE {
            p.push(format!("{n}.loan_deduction must not exceed 100%"));
        }
    }
}

/// The small-loss bar's special case for the smallest premium (REFERENCE §5.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallLossSpecial {
    pub monthly_premium_yen: Yen,
    pub months_since_joining_from: u32,
    pub months_since_joining_to: u32,
    /// The bar is `monthly_premium × months paid × multiple` instead of the floor.
    pub multiple: i64,
}

/// Repayment period by loan amount: loans below `below_yen` (None: any larger) repay in `years`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepaymentBand {
    #[serde(default)]
    pub below_yen: Option<Yen>,
    pub years: u32,
}

/// 共済金貸付 (REFERENCE §5.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankruptcyLoanRules {
    pub min_months_since_joining: Sourced<u32>,
    pub min_months_paid: Sourced<u32>,
    /// The request must be made within this many months of the 倒産日.
    pub request_window_months: Sourced<u32>,
    /// No loan when the loss is below min(floor, share × monthly transactions).
    pub small_loss_floor_yen: Sourced<Yen>,
    pub small_loss_share_of_transactions: Sourced<Rate>,
    pub small_loss_special: Sourced<SmallLossSpecial>,
    /// Limit: min(loss, 掛金総額 × this).
    pub premium_multiple: Sourced<i64>,
    /// The borrower's total outstanding 共済金 loans may not exceed this.
    pub outstanding_cap_yen: Sourced<Yen>,
    pub unit_yen: Sourced<Yen>,
    pub repayment_years: Sourced<Vec<RepaymentBand>>,
    pub grace_months: Sourced<u32>,
    /// Share of the loan deducted from 掛金総額 (1/10).
    pub premium_reduction: Sourced<Rate>,
    pub interest_rate: Sourced<Rate>,
}

impl BankruptcyLoanRules {
    /// Repayment years for a loan amount.
    pub fn repayment_years_for(&self, amount: Yen) -> Option<u32> {
        self.repayment_years
            .value
            .iter()
            .find(|b| b.below_yen.is_none_or(|below| amount < below))
            .map(|b| b.years)
    }

    fn check(&self, p: &mut Vec<String>) {
        let n = "safety_net.bankruptcy_loan";
        require_source(
            &format!("{n}.min_months_since_joining"),
            &self.min_months_since_joining,
            p,
        );
        require_source(&format!("{n}.min_months_paid"), &self.min_months_paid, p);
        require_source(
            &format!("{n}.request_window_months"),
            &self.request_window_months,
            p,
        );
        require_source(
            &format!("{n}.small_loss_floor_yen"),
            &self.small_loss_floor_yen,
            p,
        );
        require_source(&format!("{n}.premium_multiple"), &self.premium_multiple, p);
        require_source(
            &format!("{n}.outstanding_cap_yen"),
            &self.outstanding_cap_yen,
            p,
        );
        require_source(&format!("{n}.repayment_years"), &self.repayment_years, p);
        if self.unit_yen.value <= Yen::ZERO {
            p.push(format!("{n}.unit_yen must be positive"));
        }
        if self.premium_multiple.value <= 0 {
            p.push(format!("{n}.premium_multiple must be positive"));
        }
        let bands = &self.repayment_years.value;
        if bands.last().is_none_or(|b| b.below_yen.is_some()) {
            p.push(format!(
                "{n}.repayment_years: the last band must omit below_yen so every amount is covered"
            ));
        }
        for pair in bands.windows(2) {
            match (pair[0].below_yen, pair[1].below_yen) {
                (Some(a), Some(b)) if b <= a => {
                    p.push(format!("{n}.repayment_years must be in increasing amounts"))
                }
                (None, _) => p.push(format!(
                    "{n}.repayment_years: only the last band may omit below_yen"
                )),
                _ => {}
            }
        }
    }

    fn has_provisional(&self) -> bool {
        self.repayment_years.provisional
            || self.grace_months.provisional
            || self.unit_yen.provisional
            || self.small_loss_special.provisional
    }
}

/// 一時貸付金 (REFERENCE §5.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporaryLoanRules {
    pub min_months: Sourced<u32>,
    /// The limit is this share (95%) of the 解約手当金 for `refund_basis`.
    pub share_of_refund: Sourced<Rate>,
    pub refund_basis: Sourced<Cancellation>,
    /// Rate used instead of the table once 掛金総額 has reached the accumulation cap (100%:
    /// 800万 × 100% × 95% = 760万).
    pub rate_at_accumulation_cap: Sourced<Rate>,
    pub unit_yen: Sourced<Yen>,
    pub min_yen: Sourced<Yen>,
    pub term_months: Sourced<u32>,
    pub interest_rate: Sourced<Rate>,
    pub late_interest: Sourced<Rate>,
    /// Bank business days from the decision to the transfer of the loan.
    pub disbursement_business_days: Sourced<u32>,
    /// Months overdue after which the unpaid loan is recovered from the premiums paid
    /// (REFERENCE §5.2: 5 months).
    pub recovery_after_months: Sourced<u32>,
    /// Interest and late charges accrue per day over a year of this many days, leap years
    /// included (日割計算, 年365日).
    pub interest_days_in_year: Sourced<u32>,
    /// Holders at the old 掛金総額 cap on the day the cap was raised who have stayed there keep
    /// this limit (REFERENCE §5.2: 300万円).
    pub legacy_limit_yen: Sourced<Yen>,
    /// The old cap (320万円): the legacy limit applies while 掛金総額 is still exactly this.
    pub legacy_total_paid_yen: Sourced<Yen>,
    /// The day the old cap was last in force (H23-9-30): the holder had reached it by then.
    pub legacy_as_of: Sourced<jiff::civil::Date>,
    /// A holder who has since raised the premium to this or more (85,000円) lost the legacy limit.
    pub legacy_premium_raise_yen: Sourced<Yen>,
}

impl TemporaryLoanRules {
    fn check(&self, p: &mut Vec<String>) {
        let n = "safety_net.temporary_loan";
        require_source(&format!("{n}.min_months"), &self.min_months, p);
        require_source(&format!("{n}.share_of_refund"), &self.share_of_refund, p);
        require_source(&format!("{n}.min_yen"), &self.min_yen, p);
        require_source(&format!("{n}.interest_rate"), &self.interest_rate, p);
        require_source(
            &format!("{n}.recovery_after_months"),
            &self.recovery_after_months,
            p,
        );
        require_source(
            &format!("{n}.interest_days_in_year"),
            &self.interest_days_in_year,
            p,
        );
        if self.interest_days_in_year.value == 0 {
            p.push(format!("{n}.interest_days_in_year must be positive"));
        }
        require_source(&format!("{n}.legacy_limit_yen"), &self.legacy_limit_yen, p);
        require_source(
            &format!("{n}.legacy_total_paid_yen"),
            &self.legacy_total_paid_yen,
            p,
        );
        require_source(&format!("{n}.legacy_as_of"), &self.legacy_as_of, p);
        require_source(
            &format!("{n}.legacy_premium_raise_yen"),
            &self.legacy_premium_raise_yen,
            p,
        );
        if self.legacy_premium_raise_yen.value <= Yen::ZERO {
            p.push(format!("{n}.legacy_premium_raise_yen must be positive"));
        }
        if self.share_of_refund.value > Rate::ONE {
            p.push(format!("{n}.share_of_refund must not exceed 100%"));
        }
        if self.rate_at_accumulation_cap.value > Rate::ONE {
            p.push(format!("{n}.rate_at_accumulation_cap must not exceed 100%"));
        }
        if self.unit_yen.value <= Yen::ZERO {
            p.push(format!("{n}.unit_yen must be positive"));
        }
    }

    fn has_provisional(&self) -> bool {
        self.interest_rate.provisional
    }
}

/// 掛止め (REFERENCE §2.6).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspensionRules {
    /// Allowed only when 掛金総額 ≥ 掛金月額 × this (40).
    pub min_multiple_of_premium: Sourced<i64>,
    /// Received by this day (next business day if a holiday): stops the same month.
    pub cutoff_day: Sourced<i8>,
    /// A resumption after this many months or more of suspension also needs a new debit
    /// account (掛金預金口座振替申出書 中105, REFERENCE §2.6: 1 year).
    pub new_account_after_months: Sourced<i32>,
}

/// 掛金月額変更 (REFERENCE §2.4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumChangeRules {
    /// Received by this day (next business day if a holiday): applies to the same month.
    pub cutoff_day: Sourced<i8>,
    /// A decrease is allowed without other reasons once outstanding loans + 掛金総額 × multiple
    /// reach this amount (8,000万円).
    pub decrease_threshold_yen: Sourced<Yen>,
    pub decrease_premium_multiple: Sourced<i64>,
    /// What a decrease on a stated ground (business shrunk, hardship) gets: the member's word is
    /// all the form carries, so the rule set decides whether staff confirm it first.
    pub stated_reason_decision: Sourced<StatedReasonDecision>,
}

/// How a 倒産防止 decrease on a stated ground is decided (REFERENCE §2.4 grounds 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatedReasonDecision {
    /// Staff confirm the ground (the application waits in the review queue).
    Review,
    /// The stated ground is accepted as stated.
    Accept,
}

/// Every number the 経営セーフティ共済 calculators use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyNetRules {
    pub cancellation: CancellationRules,
    pub bankruptcy_loan: BankruptcyLoanRules,
    pub temporary_loan: TemporaryLoanRules,
    pub suspension: SuspensionRules,
    pub premium_change: PremiumChangeRules,
    pub prepayment: PrepaymentRules,
    /// 機構解約 once this many months are unpaid (REFERENCE §2.7, §10 #65).
    pub termination_unpaid_months: Sourced<u32>,
    /// Days from the 納付書 (and 契約解除予告) sent at that point to its payment deadline.
    pub payment_slip_days: Sourced<u32>,
    pub tax: TaxRules,
}

/// 措法66条の11 (令和6年度税制改正, REFERENCE §5.4): after a cancellation on or after
/// `from_cancellations_on`, premiums of a new contract paid until `years` years have passed are
/// not deductible.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxRules {
    pub non_deductible_years: Sourced<i16>,
    pub from_cancellations_on: Sourced<jiff::civil::Date>,
}

impl SafetyNetRules {
    pub(super) fn check(&self, p: &mut Vec<String>) {
        self.cancellation.check(p);
        self.bankruptcy_loan.check(p);
        self.temporary_loan.check(p);
        require_source(
            "safety_net.suspension.min_multiple_of_premium",
            &self.suspension.min_multiple_of_premium,
            p,
        );
        require_source(
            "safety_net.suspension.new_account_after_months",
            &self.suspension.new_account_after_months,
            p,
        );
        for (name, day) in [
            (
                "safety_net.suspension.cutoff_day",
                &self.suspension.cutoff_day,
            ),
            (
                "safety_net.premium_change.cutoff_day",
                &self.premium_change.cutoff_day,
            ),
        ] {
            require_source(name, day, p);
            if !(1..=28).contains(&day.value) {
                p.push(format!("{name} must be 1..=28"));
            }
        }
        self.prepayment.check("safety_net.prepayment", p);
        require_source(
            "safety_net.premium_change.stated_reason_decision",
            &self.premium_change.stated_reason_decision,
            p,
        );
        require_source(
            "safety_net.termination_unpaid_months",
            &self.termination_unpaid_months,
            p,
        );
        require_source("safety_net.payment_slip_days", &self.payment_slip_days, p);
        if self.payment_slip_days.value == 0 {
            p.push("safety_net.payment_slip_days must be at least 1".into());
        }
        require_source(
            "safety_net.tax.non_deductible_years",
            &self.tax.non_deductible_years,
            p,
        );
        require_source(
            "safety_net.tax.from_cancellations_on",
            &self.tax.from_cancellations_on,
            p,
        );
        if !(1..=10).contains(&self.tax.non_deductible_years.value) {
            p.push("safety_net.tax.non_deductible_years must be 1..=10".into());
        }
    }

    pub(super) fn has_provisional(&self) -> bool {
        [
            &self.cancellation.voluntary,
            &self.cancellation.deemed,
            &self.cancellation.by_organization,
        ]
        .iter()
        .any(|t| t.provisional || t.value.has_provisional())
            || self.bankruptcy_loan.has_provisional()
            || self.temporary_loan.has_provisional()
            || self.prepayment.has_provisional()
    }
}
