//! Rule-set section for the 小規模企業共済 calculators (REFERENCE §2.3, §3, §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tables::{PerUnitTable, RateTable};
use super::{Sourced, require_source};
use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::rate::Rate;

/// 請求事由 of a 共済金 (benefit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClaimReason {
    /// 共済金A: closure of the business, dissolution, death (REFERENCE §3.1).
    A,
    /// 共済金B: old-age benefit, retirement at 65+ or through illness (§3.1).
    B,
    /// 準共済金: e.g. incorporation ending eligibility, voluntary retirement under 65 (§3.1).
    #[serde(rename = "quasi")]
    Quasi,
}

impl ClaimReason {
    pub fn name_ja(self) -> &'static str {
        match self {
            ClaimReason::A => "共済金A",
            ClaimReason::B => "共済金B",
            ClaimReason::Quasi => "準共済金",
        }
    }
}

/// How a tranche whose units were stopped by a premium decrease is valued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecreasedTranche {
    /// Like any other tranche: by its own months paid and the event's table (REFERENCE §2.4
    /// "each 掛金区分 is computed on its own"; whether 解約手当金-like rates apply is unconfirmed).
    SameAsActive,
    /// At the 解約手当金 rates of its own months paid.
    CancellationRates,
}

/// 基本共済金: the per-tranche amounts (law §9(2)-(3); REFERENCE §3.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitRules {
    /// The premium tranche unit (掛金区分): 500 yen a month.
    pub unit_yen: Sourced<Yen>,
    /// 共済金A/B: nothing below this many months paid (law §9(1): 6).
    pub min_months_a_b: Sourced<u32>,
    /// 準共済金: nothing below this many months paid (12).
    pub min_months_quasi: Sourced<u32>,
    /// 共済金B from this age (65): the old-age benefit and an officer's retirement; a voluntary
    /// retirement below it is a 準共済金 event (REFERENCE §3.1). The pages explain the reasons
    /// with it, so a rule change reaches the words people choose from.
    pub b_from_age: Sourced<u32>,
    /// The old-age benefit (老齢給付) needs this many months paid besides the age (180).
    pub old_age_min_months: Sourced<u32>,
    /// A tranche paid for fewer months is worth the premiums paid into it (law §9(2): 36).
    pub premiums_only_below_months: Sourced<u32>,
    pub decreased_tranche: Sourced<DecreasedTranche>,
    /// 予定利率 (informational; the tables embody it).
    pub assumed_rate: Sourced<Rate>,
    /// Per-500-yen amounts by months paid (施行令 別表第一), per event.
    pub per_unit_a: Sourced<PerUnitTable>,
    pub per_unit_b: Sourced<PerUnitTable>,
    pub per_unit_quasi: Sourced<PerUnitTable>,
}

impl BenefitRules {
    pub fn table(&self, reason: ClaimReason) -> &Sourced<PerUnitTable> {
        match reason {
            ClaimReason::A => &self.per_unit_a,
            ClaimReason::B => &self.per_unit_b,
            ClaimReason::Quasi => &self.per_unit_quasi,
        }
    }

    pub fn min_months(&self, reason: ClaimReason) -> u32 {
        match reason {
            ClaimReason::A | ClaimReason::B => self.min_months_a_b.value,
            ClaimReason::Quasi => self.min_months_quasi.value,
        }
    }

    fn check(&self, p: &mut Vec<String>) {
        let n = "small_enterprise.benefit";
        require_source(&format!("{n}.unit_yen"), &self.unit_yen, p);
        require_source(&format!("{n}.min_months_a_b"), &self.min_months_a_b, p);
        require_source(&format!("{n}.min_months_quasi"), &self.min_months_quasi, p);
        require_source(&format!("{n}.b_from_age"), &self.b_from_age, p);
        require_source(
            &format!("{n}.old_age_min_months"),
            &self.old_age_min_months,
            p,
        );
        if !(18..=100).contains(&self.b_from_age.value) {
            p.push(format!("{n}.b_from_age must be an age of 18..=100"));
        }
        if self.old_age_min_months.value < self.min_months_a_b.value {
            p.push(format!(
                "{n}.old_age_min_months must be at least min_months_a_b"
            ));
        }
        require_source(
            &format!("{n}.premiums_only_below_months"),
            &self.premiums_only_below_months,
            p,
        );
        require_source(
            &format!("{n}.decreased_tranche"),
            &self.decreased_tranche,
            p,
        );
        require_source(&format!("{n}.assumed_rate"), &self.assumed_rate, p);
        if self.unit_yen.value <= Yen::ZERO {
            p.push(format!("{n}.unit_yen must be positive"));
        }
        for (name, t) in [
            ("per_unit_a", &self.per_unit_a),
            ("per_unit_b", &self.per_unit_b),
            ("per_unit_quasi", &self.per_unit_quasi),
        ] {
            let full = format!("{n}.{name}");
            require_source(&full, t, p);
            t.value.check(&full, self.unit_yen.value, p);
            if let Some(first) = t.value.points.first()
                && first.months > self.premiums_only_below_months.value
            {
                p.push(format!(
                    "{full}: the table starts at {} months but premiums-only ends at {}: months in between are not covered",
                    first.months, self.premiums_only_below_months.value
                ));
            }
        }
    }

    fn has_provisional(&self) -> bool {
        self.unit_yen.provisional
            || self.min_months_a_b.provisional
            || self.min_months_quasi.provisional
            || self.b_from_age.provisional
            || self.old_age_min_months.provisional
            || self.premiums_only_below_months.provisional
            || self.decreased_tranche.provisional
            || self.per_unit_a.provisional
            || self.per_unit_b.provisional
            || self.per_unit_quasi.provisional
    }
}

/// 付加共済金 rate of one fiscal year (April–March).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiscalYearRate {
    pub fiscal_year: i16,
    pub rate: Rate,
}

/// What the 付加共済金 rate applies to (REFERENCE §3.2 leaves it unconfirmed, so the rule set
/// chooses, with its source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BonusBasis {
    /// The whole 基本共済金, once the contract has `min_months` paid.
    Contract,
    /// Only the amounts of tranches that themselves have `min_months` paid.
    PerTranche,
}

/// 付加共済金 (REFERENCE §3.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusRules {
    /// Paid only to holders with at least this many months (36).
    pub min_months: Sourced<u32>,
    /// Whether the months are counted per contract or per tranche.
    pub basis: Sourced<BonusBasis>,
    /// Rates set by the Minister each fiscal year. A year not listed is not yet known.
    pub rates: Sourced<Vec<FiscalYearRate>>,
}

impl BonusRules {
    /// The rate of a fiscal year, None when it is not (yet) in the rules.
    pub fn rate(&self, fiscal_year: i16) -> Option<Rate> {
        self.rates
            .value
            .iter()
            .find(|r| r.fiscal_year == fiscal_year)
            .map(|r| r.rate)
    }

    fn check(&self, p: &mut Vec<String>) {
        require_source("small_enterprise.bonus.min_months", &self.min_months, p);
        require_source("small_enterprise.bonus.rates", &self.rates, p);
        require_source("small_enterprise.bonus.basis", &self.basis, p);
        for pair in self.rates.value.windows(2) {
            if pair[1].fiscal_year <= pair[0].fiscal_year {
                p.push(format!(
                    "small_enterprise.bonus.rates: fiscal years must be increasing ({} then {})",
                    pair[0].fiscal_year, pair[1].fiscal_year
                ));
            }
        }
        if let Some(r) = self.rates.value.iter().find(|r| r.rate > Rate::percent(10)) {
            p.push(format!(
                "small_enterprise.bonus.rates: {} for fiscal year {} is implausibly high (over 10%)",
                r.rate, r.fiscal_year
            ));
        }
    }
}

/// 解約手当金 (REFERENCE §3.4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationRules {
    /// Nothing below this many months (law §12(1): 12).
    pub min_months: Sourced<u32>,
    /// 支給割合 by the tranche's months paid (表1); applies to 任意解約 and 機構解約 alike.
    pub rates: Sourced<RateTable>,
    /// Premiums for months before this month are valued at `legacy_rates` (表2), later ones at
    /// `rates` (表1) (REFERENCE §3.4: 表1 applies from H16-4).
    pub legacy_before: Sourced<YearMonth>,
    /// 表2: 支給割合 by the tranche's months paid for premiums of months before `legacy_before`.
    pub legacy_rates: Sourced<RateTable>,
    /// The highest rate the law allows (120%).
    pub max_rate: Sourced<Rate>,
    /// A 任意解約 at this age or older is taxed as 退職所得, below it as 一時所得 (65;
    /// REFERENCE §3.6).
    pub retirement_income_from_age: Sourced<u32>,
    /// Deemed cancellations of law §12(3)(2) (準共済金 cases): a tranche paid for fewer months
    /// than this is worth the premiums paid into it (§12(4)(1): 36).
    pub deemed_premiums_only_below_months: Sourced<u32>,
    /// The per-unit table valuing a tranche of a §12(3)(2) deemed cancellation from
    /// `deemed_premiums_only_below_months` on. The law's 政令 amounts (§12(4)(2) イ–ハ) are not
    /// available; the 準共済金 table stands in for them (provisional).
    pub deemed_table: Sourced<ClaimReason>,
    /// Bank business days from the cancellation decision to the transfer of the refund (the
    /// payment date quoted before a member confirms a 任意解約).
    pub refund_payment_business_days: Sourced<u32>,
}

impl CancellationRules {
    fn check(&self, p: &mut Vec<String>) {
        let n = "small_enterprise.cancellation";
        require_source(&format!("{n}.min_months"), &self.min_months, p);
        require_source(&format!("{n}.rates"), &self.rates, p);
        require_source(&format!("{n}.max_rate"), &self.max_rate, p);
        require_source(
            &format!("{n}.retirement_income_from_age"),
            &self.retirement_income_from_age,
            p,
        );
        if !(18..=100).contains(&self.retirement_income_from_age.value) {
            p.push(format!(
                "{n}.retirement_income_from_age must be an age of 18..=100"
            ));
        }
        require_source(
            &format!("{n}.deemed_premiums_only_below_months"),
            &self.deemed_premiums_only_below_months,
            p,
        );
        require_source(&format!("{n}.deemed_table"), &self.deemed_table, p);
        require_source(
            &format!("{n}.refund_payment_business_days"),
            &self.refund_payment_business_days,
            p,
        );
        self.rates
            .value
            .check(&format!("{n}.rates"), self.max_rate.value, p);
        require_source(&format!("{n}.legacy_before"), &self.legacy_before, p);
        require_source(&format!("{n}.legacy_rates"), &self.legacy_rates, p);
        self.legacy_rates
            .value
            .check(&format!("{n}.legacy_rates"), self.max_rate.value, p);
    }

    /// The lowest rate paid at all (80%): the first band above nothing.
    pub fn min_paid_rate(&self) -> Option<Rate> {
        self.rates
            .value
            .0
            .iter()
            .map(|b| b.rate)
            .find(|r| !r.is_zero())
    }

    /// Months paid from which the refund is no less than the premiums paid (240): derived from
    /// the table so the page and the computation cannot disagree.
    pub fn full_refund_from_months(&self) -> Option<u32> {
        self.rates
            .value
            .0
            .iter()
            .find(|b| b.rate >= Rate::ONE)
            .map(|b| b.from)
    }
}

/// 受取方法: lump sum, instalments, combined (REFERENCE §3.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutRules {
    pub instalment_min_age: Sourced<u32>,
    pub instalment_min_net_yen: Sourced<Yen>,
    pub combined_min_net_yen: Sourced<Yen>,
    pub combined_min_lump_sum_yen: Sourced<Yen>,
    pub combined_min_instalment_yen: Sourced<Yen>,
    pub instalment_years: Sourced<Vec<u32>>,
    /// Months of the year instalments are paid in (claims from H28-4-1: odd months).
    pub instalment_months: Sourced<Vec<i8>>,
}

impl PayoutRules {
    fn check(&self, p: &mut Vec<String>) {
        let n = "small_enterprise.payout";
        require_source(
            &format!("{n}.instalment_min_age"),
            &self.instalment_min_age,
            p,
        );
        require_source(
            &format!("{n}.instalment_min_net_yen"),
            &self.instalment_min_net_yen,
            p,
        );
        require_source(
            &format!("{n}.combined_min_net_yen"),
            &self.combined_min_net_yen,
            p,
        );
        require_source(&format!("{n}.instalment_years"), &self.instalment_years, p);
        require_source(
            &format!("{n}.instalment_months"),
            &self.instalment_months,
            p,
        );
        if self.combined_min_net_yen.value
            < self
                .combined_min_lump_sum_yen
                .value
                .checked_add(self.combined_min_instalment_yen.value)
                .unwrap_or(Yen::new(i64::MAX))
        {
            p.push(format!(
                "{n}.combined_min_net_yen must be at least the lump-sum part plus the instalment part"
            ));
        }
        if self.instalment_years.value.is_empty() {
            p.push(format!("{n}.instalment_years must not be empty"));
        }
        if self.instalment_months.value.is_empty()
            || self
                .instalment_months
                .value
                .iter()
                .any(|m| !(1..=12).contains(m))
        {
            p.push(format!("{n}.instalment_months must list months 1..=12"));
        }
    }
}

/// The 退職所得控除 table (REFERENCE §3.6: 40万円 a year up to 20 years, 70万円 a year from
/// the 21st; the contract period counts as the years of service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetirementDeduction {
    pub deduction_per_year_yen: Yen,
    pub deduction_break_years: u32,
    pub deduction_per_year_after_yen: Yen,
    /// The deduction is never below this (所得税法第30条: 80万円).
    pub deduction_min_yen: Yen,
}

/// Income-tax withholding per income class (REFERENCE §3.6 does not say what SMRJ withholds).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithholdingRates {
    pub retirement: Rate,
    pub public_pension: Rate,
    pub occasional: Rate,
    pub deemed_inheritance: Rate,
}

/// 共済金等の請求: how Kyosai decides and pays claims (REFERENCE §3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRules {
    /// A claim whose net amount is at most this, with every check passed, is decided at once;
    /// above it a staff approval by someone other than its preparer (maker-checker).
    pub auto_decide_max_yen: Sourced<Yen>,
    /// Bank business days from the decision to the lump-sum transfer.
    pub payment_business_days: Sourced<u32>,
    /// The day of an instalment month instalments are transferred on (next business day).
    pub instalment_day: Sourced<i8>,
    /// Which 共済金 a transfer of the whole business to the spouse or a child gives (REFERENCE
    /// §3.1: changed H28-4, details not retrieved).
    pub transfer_to_family: Sourced<ClaimReason>,
    pub tax: Sourced<RetirementDeduction>,
    pub withholding: Sourced<WithholdingRates>,
}

impl ClaimRules {
    fn check(&self, p: &mut Vec<String>) {
        let n = "small_enterprise.claim";
        require_source(
            &format!("{n}.auto_decide_max_yen"),
            &self.auto_decide_max_yen,
            p,
        );
        require_source(
            &format!("{n}.payment_business_days"),
            &self.payment_business_days,
            p,
        );
        require_source(&format!("{n}.instalment_day"), &self.instalment_day, p);
        require_source(
            &format!("{n}.transfer_to_family"),
            &self.transfer_to_family,
            p,
        );
        require_source(&format!("{n}.tax"), &self.tax, p);
        require_source(&format!("{n}.withholding"), &self.withholding, p);
        if !(1..=28).contains(&self.instalment_day.value) {
            p.push(format!("{n}.instalment_day must be 1..=28"));
        }
        if self.auto_decide_max_yen.value < Yen::ZERO {
            p.push(format!("{n}.auto_decide_max_yen must not be negative"));
        }
        let w = &self.withholding.value;
        for r in [
            w.retirement,
            w.public_pension,
            w.occasional,
            w.deemed_inheritance,
        ] {
            if r > Rate::percent(50) {
                p.push(format!("{n}.withholding: {r} is implausibly high"));
            }
        }
    }
}

/// 契約者貸付 kinds (REFERENCE §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberLoanKind {
    General,
    Emergency,
    IllnessDisaster,
    Welfare,
    NewBusiness,
    Succession,
    ClosurePrep,
    /// 特例災害時貸付け: offered only while a disaster special measure applies to the member;
    /// its terms are the measure's ([`crate::special_measures::Effect::InterestFreeDisasterLoan`]),
    /// not the rule set's.
    DisasterSpecial,
}

impl MemberLoanKind {
    pub const ALL: [MemberLoanKind; 8] = [
        MemberLoanKind::General,
        MemberLoanKind::Emergency,
        MemberLoanKind::IllnessDisaster,
        MemberLoanKind::Welfare,
        MemberLoanKind::NewBusiness,
        MemberLoanKind::Succession,
        MemberLoanKind::ClosurePrep,
        MemberLoanKind::DisasterSpecial,
    ];

    pub fn name_ja(self) -> &'static str {
        match self {
            MemberLoanKind::General => "一般貸付け",
            MemberLoanKind::Emergency => "緊急経営安定貸付け",
            MemberLoanKind::IllnessDisaster => "傷病災害時貸付け",
            MemberLoanKind::Welfare => "福祉対応貸付け",
            MemberLoanKind::NewBusiness => "創業転業時・新規事業展開等貸付け",
            MemberLoanKind::Succession => "事業承継貸付け",
            MemberLoanKind::ClosurePrep => "廃業準備貸付け",
            MemberLoanKind::DisasterSpecial => "特例災害時貸付け",
        }
    }
}

/// Term by amount: loans up to `up_to_yen` (None: any larger amount) run one of `months`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanTermBand {
    #[serde(default)]
    pub up_to_yen: Option<Yen>,
    pub months: Vec<u32>,
}

/// What is known of one loan kind; unknown items are absent (REFERENCE §4.2 marks them UNKNOWN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberLoanKindRules {
    #[serde(default)]
    pub min_yen: Option<Yen>,
    #[serde(default)]
    pub max_yen: Option<Yen>,
    #[serde(default)]
    pub rate: Option<Rate>,
    #[serde(default)]
    pub terms: Vec<LoanTermBand>,
    /// 緊急経営安定: the sales decline (year on year over 3 or 6 months) that qualifies (5%).
    #[serde(default)]
    pub min_sales_decline: Option<Rate>,
    /// 傷病災害時: the days in hospital that qualify (5).
    #[serde(default)]
    pub min_hospital_days: Option<u32>,
}

/// 契約者貸付 common rules (REFERENCE §4.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberLoanRules {
    pub min_months: Sourced<u32>,
    /// A computed limit below this is no limit at all (10万円).
    pub min_limit_yen: Sourced<Yen>,
    pub unit_yen: Sourced<Yen>,
    /// Total of all member loans outstanding (あわせ貸し).
    pub combined_cap_yen: Sourced<Yen>,
    /// Limit as a share of premiums paid, by months paid (70–90%).
    pub limit_ratios: Sourced<RateTable>,
    pub late_interest: Sourced<Rate>,
    /// Months between the instalments of a loan repaid in instalments (every 6 months).
    pub instalment_interval_months: Sourced<u32>,
    /// A loan of at most this term is repaid in one payment at maturity (≤100万: 6 or 12 months).
    pub single_repayment_max_months: Sourced<u32>,
    /// Interest is paid in advance: the first period's is deducted from the transfer, then each
    /// instalment carries the next period's.
    pub interest_in_advance: Sourced<bool>,
    /// Interest accrues per day over a year of this many days (日割計算).
    pub interest_days_in_year: Sourced<u32>,
    /// Bank business days from the decision to the transfer of the loan.
    pub disbursement_business_days: Sourced<u32>,
    /// The months from which a recalculated limit applies (April and October); it counts the
    /// premiums paid up to the month before.
    pub limit_recalculation_months: Sourced<Vec<i8>>,
    pub kinds: BTreeMap<MemberLoanKind, Sourced<MemberLoanKindRules>>,
}

impl MemberLoanRules {
    fn check(&self, p: &mut Vec<String>) {
        let n = "small_enterprise.member_loan";
        require_source(&format!("{n}.min_months"), &self.min_months, p);
        require_source(&format!("{n}.combined_cap_yen"), &self.combined_cap_yen, p);
        require_source(&format!("{n}.limit_ratios"), &self.limit_ratios, p);
        self.limit_ratios
            .value
            .check(&format!("{n}.limit_ratios"), Rate::ONE, p);
        if self.unit_yen.value <= Yen::ZERO {
            p.push(format!("{n}.unit_yen must be positive"));
        }
        if self.instalment_interval_months.value == 0 {
            p.push(format!("{n}.instalment_interval_months must be positive"));
        }
        if self.limit_recalculation_months.value.is_empty()
            || self
                .limit_recalculation_months
                .value
                .iter()
                .any(|m| !(1..=12).contains(m))
        {
            p.push(format!(
                "{n}.limit_recalculation_months must be months 1–12"
            ));
        }
        if self.interest_days_in_year.value < 365 {
            p.push(format!("{n}.interest_days_in_year must be 365 or 366"));
        }
        for (kind, k) in &self.kinds {
            let name = format!("{n}.kinds.{}", serde_name(kind));
            if *kind == MemberLoanKind::DisasterSpecial {
                p.push(format!(
                    "{name}: the 特例災害時貸付け's terms belong to a special measure (rules/special_measures/), not the rule set"
                ));
            }
            require_source(&name, k, p);
            if let (Some(min), Some(max)) = (k.value.min_yen, k.value.max_yen)
                && min > max
            {
                p.push(format!("{name}: min_yen is above max_yen"));
            }
            if let Some(max) = k.value.max_yen
                && max > self.combined_cap_yen.value
            {
                p.push(format!("{name}: max_yen is above the combined cap"));
            }
            for pair in k.value.terms.windows(2) {
                match (pair[0].up_to_yen, pair[1].up_to_yen) {
                    (Some(a), Some(b)) if b <= a => {
                        p.push(format!("{name}: term bands must be in increasing amounts"))
                    }
                    (None, _) => p.push(format!(
                        "{name}: only the last term band may omit up_to_yen"
                    )),
                    _ => {}
                }
            }
        }
    }
}

fn serde_name(kind: &MemberLoanKind) -> String {
    format!("{kind:?}")
}

/// 前納 and 前納減額金 (REFERENCE §2.3), used by both programs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentRules {
    /// Per month of premium per month ahead: 0.9/1000 (5/1000 before 2017-11-01 for 倒産防止).
    pub discount_rate: Sourced<Rate>,
    /// A month prepaid this many months ahead or more counts as this many (小規模: 12).
    #[serde(default)]
    pub max_counted_months_ahead: Option<Sourced<u32>>,
    /// The most months that can be prepaid at once, if limited.
    #[serde(default)]
    pub max_months_ahead: Option<Sourced<u32>>,
    /// The discount is paid in this month (June) on the March-end position.
    pub payout_month: Sourced<i8>,
    /// A discount below this is carried to the next year (5,000 yen).
    pub carry_forward_below_yen: Sourced<Yen>,
    /// The 前納 application must reach the Organization by this day of the desired month.
    #[serde(default)]
    pub application_cutoff_day: Option<Sourced<i8>>,
}

impl PrepaymentRules {
    pub(super) fn check(&self, n: &str, p: &mut Vec<String>) {
        require_source(&format!("{n}.discount_rate"), &self.discount_rate, p);
        require_source(&format!("{n}.payout_month"), &self.payout_month, p);
        require_source(
            &format!("{n}.carry_forward_below_yen"),
            &self.carry_forward_below_yen,
            p,
        );
        if self.discount_rate.value > Rate::percent(1) {
            p.push(format!(
                "{n}.discount_rate {} is implausibly high (over 1% per month ahead)",
                self.discount_rate.value
            ));
        }
        if !(1..=12).contains(&self.payout_month.value) {
            p.push(format!("{n}.payout_month must be 1..=12"));
        }
        if let Some(d) = &self.application_cutoff_day
            && !(1..=28).contains(&d.value)
        {
            p.push(format!("{n}.application_cutoff_day must be 1..=28"));
        }
    }

    pub(super) fn has_provisional(&self) -> bool {
        self.discount_rate.provisional
            || self
                .max_counted_months_ahead
                .as_ref()
                .is_some_and(|s| s.provisional)
            || self.carry_forward_below_yen.provisional
    }
}

/// Failed debits (未納) and termination for arrears (REFERENCE §2.7).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrearsRules {
    /// A failed premium is re-debited no earlier than this many months after the failed debit…
    pub redebit_after_months: Sourced<u32>,
    /// …in the first of these months (even months).
    pub redebit_months: Sourced<Vec<i8>>,
    /// From this many months unpaid: no more direct debit of the arrears; a 納付書 and a
    /// 契約解除予告 are sent, and 機構解除 follows if the slip is not paid by its deadline.
    pub termination_unpaid_months: Sourced<u32>,
    /// Days from the 納付書 (and 契約解除予告) to its payment deadline.
    pub payment_slip_days: Sourced<u32>,
}

/// 払込区分 change cut-off (REFERENCE §2.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyChangeRules {
    /// Received by this day (the preceding business day if a holiday): effective next month.
    pub cutoff_day: Sourced<i8>,
    pub december_cutoff_day: Sourced<i8>,
}

/// From which month a 小規模 premium change is billed (REFERENCE §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectiveMonthRule {
    /// Renewed cycle: the first debit whose file is not made yet on the day of receipt (received
    /// before the month's cut-off: that month; else the next).
    NextOpenDebit,
    /// Legacy rule: the month after next (翌々月) after the month of receipt.
    MonthAfterNext,
}

/// 掛金月額変更 of 小規模企業共済 (REFERENCE §2.4). The amount bounds and step are the
/// `[premium]` rules (`PremiumRules::check_monthly`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumChangeRules {
    pub effective_month_rule: Sourced<EffectiveMonthRule>,
    /// Under the 翌々月 rule an increase also applies to the month of receipt and the next: their
    /// difference is collected with the first debit at the new amount. The renewed rule bills the
    /// new amount from its first open debit and has no months to make up.
    pub back_difference_on_increase: Sourced<bool>,
    /// A decrease needs a stated reason (before H28-4-1); since then none.
    pub decrease_reason_required: Sourced<bool>,
}

/// Every number the 小規模企業共済 calculators use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallEnterpriseRules {
    pub benefit: BenefitRules,
    pub bonus: BonusRules,
    pub cancellation: CancellationRules,
    pub payout: PayoutRules,
    pub claim: ClaimRules,
    pub member_loan: MemberLoanRules,
    pub prepayment: PrepaymentRules,
    pub arrears: ArrearsRules,
    pub frequency_change: FrequencyChangeRules,
    pub premium_change: PremiumChangeRules,
}

impl SmallEnterpriseRules {
    pub(super) fn check(&self, p: &mut Vec<String>) {
        self.benefit.check(p);
        self.bonus.check(p);
        self.cancellation.check(p);
        self.payout.check(p);
        self.claim.check(p);
        self.member_loan.check(p);
        self.prepayment.check("small_enterprise.prepayment", p);
        let pc = &self.premium_change;
        require_source(
            "small_enterprise.premium_change.effective_month_rule",
            &pc.effective_month_rule,
            p,
        );
        require_source(
            "small_enterprise.premium_change.back_difference_on_increase",
            &pc.back_difference_on_increase,
            p,
        );
        require_source(
            "small_enterprise.premium_change.decrease_reason_required",
            &pc.decrease_reason_required,
            p,
        );
        let a = &self.arrears;
        require_source(
            "small_enterprise.arrears.redebit_after_months",
            &a.redebit_after_months,
            p,
        );
        require_source(
            "small_enterprise.arrears.redebit_months",
            &a.redebit_months,
            p,
        );
        require_source(
            "small_enterprise.arrears.payment_slip_days",
            &a.payment_slip_days,
            p,
        );
        if a.payment_slip_days.value == 0 {
            p.push("small_enterprise.arrears.payment_slip_days must be at least 1".into());
        }
        if a.redebit_months.value.is_empty()
            || a.redebit_months.value.iter().any(|m| !(1..=12).contains(m))
        {
            p.push("small_enterprise.arrears.redebit_months must list months 1..=12".into());
        }
        for (name, d) in [
            (
                "small_enterprise.frequency_change.cutoff_day",
                &self.frequency_change.cutoff_day,
            ),
            (
                "small_enterprise.frequency_change.december_cutoff_day",
                &self.frequency_change.december_cutoff_day,
            ),
        ] {
            require_source(name, d, p);
            if !(1..=28).contains(&d.value) {
                p.push(format!("{name} must be 1..=28"));
            }
        }
    }

    pub(super) fn has_provisional(&self) -> bool {
        self.benefit.has_provisional()
            || self.bonus.rates.provisional
            || self.bonus.basis.provisional
            || self.cancellation.legacy_rates.provisional
            || self.cancellation.legacy_rates.value.has_provisional()
            || self.cancellation.rates.provisional
            || self.cancellation.rates.value.has_provisional()
            || self
                .cancellation
                .deemed_premiums_only_below_months
                .provisional
            || self.cancellation.deemed_table.provisional
            || self.member_loan.limit_ratios.provisional
            || self.member_loan.unit_yen.provisional
            || self.member_loan.kinds.values().any(|k| k.provisional)
            || self.prepayment.has_provisional()
            || self.claim.transfer_to_family.provisional
            || self.claim.withholding.provisional
    }
}
