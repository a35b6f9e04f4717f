//! 共済金等の請求 (benefit claims) of 小規模企業共済 (REFERENCE §3).
//!
//! A claim starts from an event (請求事由) and the holder's position (個人事業主, 会社等の役員,
//! 共同経営者). [`determine`] says which payment the event gives — 共済金A, 共済金B, 準共済金 or
//! 解約手当金 (REFERENCE §3.1) — and why, in Japanese. The amount comes from the holder's own
//! premium history through the existing calculators ([`benefit`], [`cancellation_refund_dated`]),
//! the deductions are netted by one function ([`deductions`]), the payout forms come from the rule
//! set's `[payout]` ([`check_choice`], [`plan_payouts`]) and each payment carries its tax data
//! (REFERENCE §3.6, [`tax_data`]).
//!
//! [`benefit`]: super::benefit::benefit
//! [`cancellation_refund_dated`]: super::cancellation_refund::cancellation_refund_dated

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, YearMonth};
use crate::enrollment::ApplicantRole;
use crate::error::Reason;
use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::small_enterprise::{ClaimReason, ClaimRules, SmallEnterpriseRules};
use crate::termination::History;

use super::benefit::{BenefitResult, benefit};
use super::cancellation_refund::cancellation_refund_dated;
use super::payout::{PayoutFacts, PayoutForm, combined_split_ok, instalment_count, payout_options};
use super::tranches::HistoryError;

/// 請求事由: what happened to the holder or the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClaimEvent {
    /// 個人事業の廃業 (a co-manager: retirement following the proprietor's closure).
    BusinessClosed,
    /// 会社等の解散.
    CompanyDissolved,
    /// An officer's (or co-manager's) retirement for reasons other than dissolution or illness.
    OfficerRetired,
    /// Retirement because of illness or injury (疾病・負傷による退任・退任).
    IllnessOrInjury,
    /// The holder's death (claimed by the bereaved).
    Death,
    /// 老齢給付: 65 or over with 180 months paid, on request.
    OldAge,
    /// 法人成り where the holder does not become an officer of the new company.
    Incorporated,
    /// 法人成り where the holder becomes an officer of a small company (law §12(3)(1)).
    IncorporatedAsOfficer,
    /// Transfer of the whole business to the spouse or a child (REFERENCE §3.1, changed H28-4).
    Transferred,
}

impl ClaimEvent {
    pub const ALL: [ClaimEvent; 9] = [
        ClaimEvent::BusinessClosed,
        ClaimEvent::CompanyDissolved,
        ClaimEvent::OfficerRetired,
        ClaimEvent::IllnessOrInjury,
        ClaimEvent::Death,
        ClaimEvent::OldAge,
        ClaimEvent::Incorporated,
        ClaimEvent::IncorporatedAsOfficer,
        ClaimEvent::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimEvent::BusinessClosed => "business_closed",
            ClaimEvent::CompanyDissolved => "company_dissolved",
            ClaimEvent::OfficerRetired => "officer_retired",
            ClaimEvent::IllnessOrInjury => "illness_or_injury",
            ClaimEvent::Death => "death",
            ClaimEvent::OldAge => "old_age",
            ClaimEvent::Incorporated => "incorporated",
            ClaimEvent::IncorporatedAsOfficer => "incorporated_as_officer",
            ClaimEvent::Transferred => "transferred",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimEvent> {
        ClaimEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            ClaimEvent::BusinessClosed => "個人事業の廃業",
            ClaimEvent::CompanyDissolved => "会社等の解散",
            ClaimEvent::OfficerRetired => "役員・共同経営者の退任",
            ClaimEvent::IllnessOrInjury => "病気・けがによる退任",
            ClaimEvent::Death => "契約者の死亡",
            ClaimEvent::OldAge => "老齢給付（65歳以上・180か月以上）",
            ClaimEvent::Incorporated => "法人成り（役員にならない場合）",
            ClaimEvent::IncorporatedAsOfficer => "法人成り（小規模企業の役員になる場合）",
            ClaimEvent::Transferred => "配偶者・子への事業の全部の譲渡",
        }
    }
}

/// Which payment a claim gives (REFERENCE §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BenefitKind {
    A,
    B,
    #[serde(rename = "quasi")]
    Quasi,
    #[serde(rename = "refund")]
    Refund,
}

impl BenefitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BenefitKind::A => "A",
            BenefitKind::B => "B",
            BenefitKind::Quasi => "quasi",
            BenefitKind::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<BenefitKind> {
        [
            BenefitKind::A,
            BenefitKind::B,
            BenefitKind::Quasi,
            BenefitKind::Refund,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            BenefitKind::A => "共済金A",
            BenefitKind::B => "共済金B",
            BenefitKind::Quasi => "準共済金",
            BenefitKind::Refund => "解約手当金",
        }
    }

    /// The 共済金 table of the kind; None for a 解約手当金.
    pub fn reason(self) -> Option<ClaimReason> {
        match self {
            BenefitKind::A => Some(ClaimReason::A),
            BenefitKind::B => Some(ClaimReason::B),
            BenefitKind::Quasi => Some(ClaimReason::Quasi),
            BenefitKind::Refund => None,
        }
    }

    fn of(reason: ClaimReason) -> BenefitKind {
        match reason {
            ClaimReason::A => BenefitKind::A,
            ClaimReason::B => BenefitKind::B,
            ClaimReason::Quasi => BenefitKind::Quasi,
        }
    }
}

/// The facts the kind depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimFacts {
    pub event: ClaimEvent,
    pub role: ApplicantRole,
    /// Age on the date of the event.
    pub age_at_event: u32,
    pub months_paid: u32,
}

/// What the event gives, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Determination {
    pub kind: BenefitKind,
    /// The minimum months of the kind are reached (else nothing is paid: 掛け捨て).
    pub payable: bool,
    /// The mapping itself is provisional rule data (a transfer to family).
    pub provisional: bool,
    /// Why, in Japanese, citing the rule.
    pub explanation: String,
}

/// The payment `f.event` gives a holder in `f.role` (REFERENCE §3.1), or why the event is not
/// one of the role's (`event_not_for_role`) or its conditions are not met (`old_age_conditions`).
pub fn determine(rules: &SmallEnterpriseRules, f: &ClaimFacts) -> Result<Determination, Reason> {
    use ApplicantRole::{CoManager, CompanyOfficer, SoleProprietor};
    use ClaimEvent as E;
    let b = &rules.benefit;
    let from_age = b.b_from_age.value;
    let mut provisional = false;
    let (kind, why): (BenefitKind, String) = match (f.event, f.role) {
        (E::BusinessClosed, SoleProprietor) => (
            BenefitKind::A,
            "個人事業を廃業された場合は共済金Aです（小規模企業共済法第9条第1項）。".into(),
        ),
        (E::BusinessClosed, CoManager) => (
            BenefitKind::A,
            "個人事業主の廃業に伴い共同経営者を退任された場合は共済金Aです（小規模企業共済法第9条第1項）。"
                .into(),
        ),
        (E::CompanyDissolved, CompanyOfficer) => (
            BenefitKind::A,
            "会社等が解散した場合は共済金Aです（小規模企業共済法第9条第1項）。".into(),
        ),
        (E::Death, SoleProprietor | CoManager) => (
            BenefitKind::A,
            "個人事業主・共同経営者が亡くなられた場合は共済金Aをご遺族にお支払いします（小規模企業共済法第9条第1項）。"
                .into(),
        ),
        (E::Death, CompanyOfficer) => (
            BenefitKind::B,
            "会社等の役員が亡くなられた場合は共済金Bをご遺族にお支払いします（小規模企業共済法第9条第1項）。"
                .into(),
        ),
        (E::IllnessOrInjury, CompanyOfficer) => (
            BenefitKind::B,
            "会社等の役員が病気・けがにより退任された場合は共済金Bです（小規模企業共済法第9条第1項）。"
                .into(),
        ),
        (E::IllnessOrInjury, CoManager) => (
            BenefitKind::A,
            "共同経営者が病気・けがにより退任された場合は共済金Aです（小規模企業共済法第9条第1項）。"
                .into(),
        ),
        (E::OfficerRetired, CompanyOfficer) if f.age_at_event >= from_age => (
            BenefitKind::B,
            format!(
                "会社等の役員が{from_age}歳以上で退任された場合は共済金Bです（小規模企業共済法第9条第1項）。"
            ),
        ),
        (E::OfficerRetired, CompanyOfficer) => (
            BenefitKind::Quasi,
            format!(
                "会社等の役員が{from_age}歳未満で、解散・病気・けが以外の理由で退任された場合は準共済金です（小規模企業共済法）。"
            ),
        ),
        (E::OfficerRetired, CoManager) => (
            BenefitKind::Refund,
            "共同経営者を退任された場合（個人事業主の廃業・病気・けがによるものを除きます）は、解約手当金です（小規模企業共済法第12条）。"
                .into(),
        ),
        (E::OldAge, _) => {
            let min = b.old_age_min_months.value;
            if f.age_at_event < from_age || f.months_paid < min {
                return Err(Reason::new(
                    "old_age_conditions",
                    format!(
                        "老齢給付は、{from_age}歳以上で掛金納付月数が{min}か月以上の方が請求できます（現在 {}歳・{}か月）。",
                        f.age_at_event, f.months_paid
                    ),
                ));
            }
            (
                BenefitKind::B,
                format!(
                    "{from_age}歳以上で掛金納付月数が{min}か月以上の方の老齢給付は共済金Bです（小規模企業共済法第9条第1項）。"
                ),
            )
        }
        (E::Incorporated, SoleProprietor | CoManager) => (
            BenefitKind::Quasi,
            "法人成りにより小規模企業者でなくなった場合（新しい会社の役員にならない場合）は準共済金です（小規模企業共済法）。"
                .into(),
        ),
        (E::IncorporatedAsOfficer, SoleProprietor) => (
            BenefitKind::Refund,
            "法人成りにより小規模企業の役員になられた場合は、契約を続けることもできます。解約される場合は解約手当金です（小規模企業共済法第12条第3項第1号）。"
                .into(),
        ),
        (E::Transferred, SoleProprietor) => {
            let t = &rules.claim.transfer_to_family;
            provisional = t.provisional;
            (
                BenefitKind::of(t.value),
                format!(
                    "配偶者または子へ事業の全部を譲渡された場合は{}です（平成28年4月の改正）。",
                    t.value.name_ja()
                ),
            )
        }
        (event, role) => {
            return Err(Reason::new(
                "event_not_for_role",
                format!(
                    "「{}」は、{}の方の請求事由ではありません。",
                    event.name_ja(),
                    role.name_ja()
                ),
            ));
        }
    };
    let min = match kind.reason() {
        Some(r) => b.min_months(r),
        None => rules.cancellation.min_months.value,
    };
    let payable = f.months_paid >= min;
    let mut explanation = why;
    if !payable {
        explanation.push_str(&format!(
            "ただし{}は掛金納付月数が{min}か月以上の場合にお支払いします。現在{}か月のため、お支払いできる金額はありません。",
            kind.name_ja(),
            f.months_paid
        ));
    }
    Ok(Determination {
        kind,
        payable,
        provisional,
        explanation,
    })
}

/// The gross amount of `kind` after `history` (the contract's premiums, chronological), with the
/// 付加共済金 of the event's fiscal year for a 共済金. A history reconstructed from an opening
/// balance makes the amount an estimate (概算).
pub fn gross_amount(
    rules: &SmallEnterpriseRules,
    kind: BenefitKind,
    history: &History,
    event_month: YearMonth,
) -> Result<BenefitResult, HistoryError> {
    let mut r = match kind.reason() {
        Some(reason) => benefit(
            rules,
            reason,
            &history.segments,
            Some(event_month.fiscal_year()),
        )?,
        None => cancellation_refund_dated(rules, &history.segments, history.legacy_segments)?,
    };
    r.estimate |= history.reconstructed;
    Ok(r)
}

/// What is taken off a claim (REFERENCE §3.5: unpaid loans, unpaid premiums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeductionKind {
    /// 契約者貸付 outstanding: principal, interest due and late charges.
    Loans,
    /// Premiums billed and not collected (未納掛金).
    UnpaidPremiums,
}

impl DeductionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeductionKind::Loans => "loans",
            DeductionKind::UnpaidPremiums => "unpaid_premiums",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            DeductionKind::Loans => "貸付金の未返済額",
            DeductionKind::UnpaidPremiums => "未納の掛金",
        }
    }
}

/// One amount taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deduction {
    pub kind: DeductionKind,
    pub yen: Yen,
}

/// What the holder owes the Organization on the decision date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owed {
    pub loans: Yen,
    pub unpaid_premiums: Yen,
}

/// The deductions from `gross` and the net amount: loans first, then unpaid premiums, each
/// taken only as far as something is left (the net is never negative; what is owed beyond the
/// gross stays owed). Zero deductions are left out.
pub fn deductions(gross: Yen, owed: &Owed) -> (Vec<Deduction>, Yen) {
    let mut left = gross.max(Yen::ZERO);
    let mut out = Vec::new();
    for (kind, owed) in [
        (DeductionKind::Loans, owed.loans),
        (DeductionKind::UnpaidPremiums, owed.unpaid_premiums),
    ] {
        let yen = owed.max(Yen::ZERO).min(left);
        if yen > Yen::ZERO {
            left = rounding::sub(left, yen);
            out.push(Deduction { kind, yen });
        }
    }
    (out, left)
}

/// The payout form chosen by the claimant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutChoice {
    LumpSum,
    Instalments { years: u32 },
    Combined { years: u32, lump_sum: Yen },
}

impl PayoutChoice {
    pub fn form(self) -> PayoutForm {
        match self {
            PayoutChoice::LumpSum => PayoutForm::LumpSum,
            PayoutChoice::Instalments { .. } => PayoutForm::Instalments,
            PayoutChoice::Combined { .. } => PayoutForm::Combined,
        }
    }
}

/// Whether the claimant qualifies for `choice` (REFERENCE §3.5); the reason if not.
pub fn check_choice(
    rules: &SmallEnterpriseRules,
    kind: BenefitKind,
    death: bool,
    age_at_event: u32,
    net: Yen,
    choice: PayoutChoice,
) -> Result<(), Reason> {
    let p = &rules.payout;
    let Some(reason) = kind.reason() else {
        return match choice {
            PayoutChoice::LumpSum => Ok(()),
            _ => Err(Reason::new(
                "instalments_not_for_reason",
                "解約手当金は一括でのお受け取りのみです。",
            )),
        };
    };
    let options = payout_options(
        p,
        &PayoutFacts {
            reason,
            age_at_event,
            net_amount: net,
            death,
        },
    );
    let not_open = |form: &str| {
        let why = options
            .reasons
            .first()
            .map_or_else(String::new, |r| r.message.clone());
        Reason::new(
            "payout_not_qualified",
            format!("{form}のお受け取りは選べません。{why}"),
        )
    };
    let years_ok = |years: u32| {
        if options.instalment_years.contains(&years) {
            Ok(())
        } else {
            Err(Reason::new(
                "instalment_years",
                format!(
                    "分割の期間は{}年から選んでください。",
                    options
                        .instalment_years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join("年・")
                ),
            ))
        }
    };
    match choice {
        PayoutChoice::LumpSum => Ok(()),
        PayoutChoice::Instalments { years } => {
            if !options.instalments {
                return Err(not_open("分割"));
            }
            years_ok(years)
        }
        PayoutChoice::Combined { years, lump_sum } => {
            if !options.combined {
                return Err(not_open("一括・分割併用"));
            }
            years_ok(years)?;
            let rest = rounding::sub(net, lump_sum);
            if lump_sum <= Yen::ZERO || rest <= Yen::ZERO || !combined_split_ok(p, lump_sum, rest) {
                return Err(Reason::new(
                    "combined_split",
                    format!(
                        "併用の場合、一括で受け取る額は{}以上、分割で受け取る額は{}以上になるように指定してください。",
                        p.combined_min_lump_sum_yen.value, p.combined_min_instalment_yen.value
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// One planned payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlannedPayment {
    /// A bank business day.
    pub date: Date,
    pub yen: Yen,
    /// One instalment of 分割共済金 (else the lump sum).
    pub instalment: bool,
}

/// The payments of `net` under `choice`, decided on `decided_on`: the lump sum (or the lump
/// part) `claim.payment_business_days` bank business days after the decision; instalments on
/// `claim.instalment_day` (or the next business day) of each instalment month
/// (`payout.instalment_months`), starting with the first such day after the lump-sum date,
/// `instalment_count(years)` of them. Instalments split their part evenly, the yen left over by
/// the division going to the first, so the schedule always sums to `net` exactly.
///
/// The instalments carry no interest on the balance still to be paid: REFERENCE §3.5 gives no
/// rule for it.
pub fn plan_payouts(
    rules: &SmallEnterpriseRules,
    calendar: &BusinessCalendar,
    decided_on: Date,
    choice: PayoutChoice,
    net: Yen,
) -> Vec<PlannedPayment> {
    let c: &ClaimRules = &rules.claim;
    let lump_date = calendar.business_days_after(decided_on, c.payment_business_days.value);
    let (lump, years) = match choice {
        PayoutChoice::LumpSum => (net, 0),
        PayoutChoice::Instalments { years } => (Yen::ZERO, years),
        PayoutChoice::Combined { years, lump_sum } => (lump_sum.min(net), years),
    };
    let mut out = Vec::new();
    if lump > Yen::ZERO {
        out.push(PlannedPayment {
            date: lump_date,
            yen: lump,
            instalment: false,
        });
    }
    let count = i64::from(instalment_count(&rules.payout, years));
    let part = rounding::sub(net, lump);
    if count == 0 || part <= Yen::ZERO {
        return out;
    }
    let months = &rules.payout.instalment_months.value;
    let each = part.get() / count;
    let first_extra = part.get() - each * count;
    let mut month = YearMonth::of(lump_date);
    let mut n = 0;
    // At most one year of months is skipped before the first instalment month comes round.
    while n < count {
        let date = calendar.on_or_after(month.day(c.instalment_day.value));
        if months.contains(&month.month()) && date > lump_date {
            let yen = if n == 0 { each + first_extra } else { each };
            out.push(PlannedPayment {
                date,
                yen: Yen::new(yen),
                instalment: true,
            });
            n += 1;
        }
        month = month.plus(1);
    }
    out
}

/// 所得区分 of a payment (REFERENCE §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeClass {
    /// 退職所得.
    Retirement,
    /// 公的年金等の雑所得.
    PublicPension,
    /// 一時所得.
    Occasional,
    /// みなし相続財産 (paid to the bereaved).
    DeemedInheritance,
}

impl IncomeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IncomeClass::Retirement => "retirement",
            IncomeClass::PublicPension => "public_pension",
            IncomeClass::Occasional => "occasional",
            IncomeClass::DeemedInheritance => "deemed_inheritance",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            IncomeClass::Retirement => "退職所得",
            IncomeClass::PublicPension => "公的年金等の雑所得",
            IncomeClass::Occasional => "一時所得",
            IncomeClass::DeemedInheritance => "みなし相続財産",
        }
    }
}

/// The tax data kept with one payment, for the year-end 源泉徴収票.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaxData {
    pub income_class: IncomeClass,
    /// 勤続年数 for the 退職所得控除: the contract period in years, a part year counting as one.
    pub contract_years: u32,
    /// 退職所得控除 of `contract_years` (retirement income only).
    pub retirement_deduction: Option<Yen>,
    pub withholding_rate: Rate,
    /// Tax withheld from this payment (rounded down to the yen).
    pub withholding: Yen,
    /// A provisional rule value (a withholding rate, the deduction table) went into it.
    pub provisional: bool,
}

/// The contract years counted for the 退職所得控除: from the contract's start to the event, a
/// part year counting as a whole one (at least one).
pub fn contract_years(start: Date, event: Date) -> u32 {
    let full = crate::enrollment::full_years(start, event).max(0);
    let whole = start
        .checked_add(jiff::Span::new().years(full))
        .is_ok_and(|d| d == event);
    let years = if whole { full } else { full + 1 };
    u32::try_from(years.max(1)).unwrap_or(1)
}

/// The 退職所得控除 of `years` (REFERENCE §3.6: 40万 a year up to 20 years, 70万 a year
/// after; never below the rules' minimum).
pub fn retirement_deduction(rules: &ClaimRules, years: u32) -> Yen {
    let t = &rules.tax;
    let break_years = t.value.deduction_break_years;
    let first = years.min(break_years);
    let after = years.saturating_sub(break_years);
    let amount = rounding::add(
        rounding::mul(t.value.deduction_per_year_yen, i64::from(first)),
        rounding::mul(t.value.deduction_per_year_after_yen, i64::from(after)),
    );
    amount.max(t.value.deduction_min_yen)
}

/// The facts of one payment's tax treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxFacts {
    pub kind: BenefitKind,
    pub death: bool,
    pub instalment: bool,
    pub age_at_event: u32,
    pub contract_start: Date,
    pub event_date: Date,
    pub payment: Yen,
}

/// The income class of a payment and the figures the year-end data needs (REFERENCE §3.6): to
/// the bereaved みなし相続財産; an instalment 公的年金等; a lump-sum 共済金 退職所得; a
/// 解約手当金 退職所得 from `cancellation.retirement_income_from_age`, else 一時所得.
pub fn tax_data(rules: &SmallEnterpriseRules, f: &TaxFacts) -> TaxData {
    let c = &rules.claim;
    let class = if f.death {
        IncomeClass::DeemedInheritance
    } else if f.instalment {
        IncomeClass::PublicPension
    } else if f.kind == BenefitKind::Refund
        && f.age_at_event < rules.cancellation.retirement_income_from_age.value
    {
        IncomeClass::Occasional
    } else {
        IncomeClass::Retirement
    };
    let years = contract_years(f.contract_start, f.event_date);
    let w = &c.withholding.value;
    let rate = match class {
        IncomeClass::Retirement => w.retirement,
        IncomeClass::PublicPension => w.public_pension,
        IncomeClass::Occasional => w.occasional,
        IncomeClass::DeemedInheritance => w.deemed_inheritance,
    };
    TaxData {
        income_class: class,
        contract_years: years,
        retirement_deduction: (class == IncomeClass::Retirement)
            .then(|| retirement_deduction(c, years)),
        withholding_rate: rate,
        withholding: rounding::apply_rate(f.payment, rate),
        provisional: c.withholding.provisional
            || (class == IncomeClass::Retirement && c.tax.provisional),
    }
}

#[cfg(test)]
mod tests;
