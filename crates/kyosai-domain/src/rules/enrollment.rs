//! Rule-set sections used when a contract is applied for and set up: premium bounds (REFERENCE
//! §2.1), collection calendar (§2.2) and eligibility (§1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Sourced, require_source};
use crate::error::FieldError;
use crate::money::Yen;
use crate::program::Program;

/// 払込区分: how often a 小規模 member pays. 倒産防止 is always monthly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFrequency {
    Monthly,
    SemiAnnual,
    Annual,
}

impl PaymentFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentFrequency::Monthly => "monthly",
            PaymentFrequency::SemiAnnual => "semi_annual",
            PaymentFrequency::Annual => "annual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "monthly" => Some(PaymentFrequency::Monthly),
            "semi_annual" => Some(PaymentFrequency::SemiAnnual),
            "annual" => Some(PaymentFrequency::Annual),
            _ => None,
        }
    }

    /// Months of premium collected by one debit.
    pub fn months_per_debit(self) -> i32 {
        match self {
            PaymentFrequency::Monthly => 1,
            PaymentFrequency::SemiAnnual => 6,
            PaymentFrequency::Annual => 12,
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            PaymentFrequency::Monthly => "月払",
            PaymentFrequency::SemiAnnual => "半年払",
            PaymentFrequency::Annual => "年払",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumRules {
    pub min_monthly_yen: Sourced<Yen>,
    pub max_monthly_yen: Sourced<Yen>,
    pub step_yen: Sourced<Yen>,
    pub frequencies: Sourced<Vec<PaymentFrequency>>,
    /// 倒産防止: 掛金総額 at which billing stops (REFERENCE §2.1). None for 小規模.
    #[serde(default)]
    pub accumulation_cap_yen: Option<Sourced<Yen>>,
}

impl PremiumRules {
    pub(super) fn check(&self, p: &mut Vec<String>) {
        require_source("premium.min_monthly_yen", &self.min_monthly_yen, p);
        require_source("premium.max_monthly_yen", &self.max_monthly_yen, p);
        require_source("premium.step_yen", &self.step_yen, p);
        require_source("premium.frequencies", &self.frequencies, p);
        let (min, max, step) = (
            self.min_monthly_yen.value,
            self.max_monthly_yen.value,
            self.step_yen.value,
        );
        if step <= Yen::ZERO {
            p.push("premium.step_yen must be positive".into());
        } else if !min.is_multiple_of(step) || !max.is_multiple_of(step) {
            p.push("premium bounds must be multiples of premium.step_yen".into());
        }
        if min <= Yen::ZERO || min > max {
            p.push("premium.min_monthly_yen must be positive and not above the maximum".into());
        }
        if self.frequencies.value.is_empty() {
            p.push("premium.frequencies must list at least one frequency".into());
        }
        if let Some(cap) = &self.accumulation_cap_yen {
            require_source("premium.accumulation_cap_yen", cap, p);
            if cap.value < max {
                p.push("premium.accumulation_cap_yen is below one month's maximum".into());
            }
        }
    }

    pub(super) fn has_provisional(&self) -> bool {
        self.min_monthly_yen.provisional
            || self.max_monthly_yen.provisional
            || self.step_yen.provisional
    }

    /// Whether a monthly premium may be chosen: within the bounds and on the step. The one check
    /// for enrollment, its web form and the simulations, so they all refuse the same amounts
    /// with the same words.
    pub fn check_monthly(&self, premium: Yen) -> Result<(), PremiumError> {
        let (min, max, step) = (
            self.min_monthly_yen.value,
            self.max_monthly_yen.value,
            self.step_yen.value,
        );
        if premium < min || premium > max {
            Err(PremiumError::OutOfRange { min, max })
        } else if !premium.is_multiple_of(step) {
            Err(PremiumError::NotAStep { step })
        } else {
            Ok(())
        }
    }
}

/// Why a monthly premium cannot be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PremiumError {
    OutOfRange { min: Yen, max: Yen },
    NotAStep { step: Yen },
}

impl PremiumError {
    /// The stable code (`FieldError::code`).
    pub fn code(self) -> &'static str {
        match self {
            PremiumError::OutOfRange { .. } => "out_of_range",
            PremiumError::NotAStep { .. } => "not_a_step",
        }
    }

    /// The Japanese message, with the bounds of the rule set in force.
    pub fn message(self) -> String {
        match self {
            PremiumError::OutOfRange { min, max } => {
                format!("掛金月額は{min}から{max}の範囲で入力してください。")
            }
            PremiumError::NotAStep { step } => format!("掛金月額は{step}単位で入力してください。"),
        }
    }

    /// The error on the premium field `field`.
    pub fn field_error(self, field: &str) -> FieldError {
        FieldError::new(field, self.code(), self.message())
    }
}

/// Which collection cycle places the first debit (REFERENCE §2.2; issue #4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebitCycle {
    /// First debit in the month after next (翌々月) after the contract starts.
    Legacy,
    /// First debit on the first debit date whose cut-off has not passed when the contract starts.
    Renewed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionRules {
    /// Day of the month of the debit, moved to the next bank business day.
    pub debit_day: Sourced<i8>,
    pub cycle: Sourced<DebitCycle>,
    /// Business days before the debit date by which a contract must exist to be in that
    /// month's file (covers the file delivery deadline to the banks).
    pub cutoff_business_days: Sourced<u32>,
}

impl CollectionRules {
    pub(super) fn check(&self, p: &mut Vec<String>) {
        require_source("collection.debit_day", &self.debit_day, p);
        require_source("collection.cycle", &self.cycle, p);
        require_source(
            "collection.cutoff_business_days",
            &self.cutoff_business_days,
            p,
        );
        if !(1..=28).contains(&self.debit_day.value) {
            p.push("collection.debit_day must be 1..=28".into());
        }
        if self.cutoff_business_days.value > 15 {
            p.push("collection.cutoff_business_days must be at most 15".into());
        }
    }

    pub(super) fn has_provisional(&self) -> bool {
        self.debit_day.provisional
            || self.cycle.provisional
            || self.cutoff_business_days.provisional
    }
}

/// 業種: the industry of the business, as the application asks it. Which size limits apply to
/// each industry is rule data ([`EligibilityRules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Industry {
    Construction,
    Manufacturing,
    RubberProducts,
    Transport,
    Wholesale,
    Retail,
    Lodging,
    Entertainment,
    Services,
    Software,
    RealEstate,
    Agriculture,
    Other,
}

impl Industry {
    pub const ALL: [Industry; 13] = [
        Industry::Construction,
        Industry::Manufacturing,
        Industry::RubberProducts,
        Industry::Transport,
        Industry::Wholesale,
        Industry::Retail,
        Industry::Lodging,
        Industry::Entertainment,
        Industry::Services,
        Industry::Software,
        Industry::RealEstate,
        Industry::Agriculture,
        Industry::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Industry::Construction => "construction",
            Industry::Manufacturing => "manufacturing",
            Industry::RubberProducts => "rubber_products",
            Industry::Transport => "transport",
            Industry::Wholesale => "wholesale",
            Industry::Retail => "retail",
            Industry::Lodging => "lodging",
            Industry::Entertainment => "entertainment",
            Industry::Services => "services",
            Industry::Software => "software",
            Industry::RealEstate => "real_estate",
            Industry::Agriculture => "agriculture",
            Industry::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Industry::ALL.into_iter().find(|i| i.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Industry::Construction => "建設業",
            Industry::Manufacturing => "製造業",
            Industry::RubberProducts => "ゴム製品製造業（自動車・航空機用タイヤ等を除く）",
            Industry::Transport => "運輸業",
            Industry::Wholesale => "卸売業",
            Industry::Retail => "小売業",
            Industry::Lodging => "宿泊業・旅館業",
            Industry::Entertainment => "娯楽業",
            Industry::Services => "サービス業（宿泊業・娯楽業を除く）",
            Industry::Software => "ソフトウェア業・情報処理サービス業",
            Industry::RealEstate => "不動産業",
            Industry::Agriculture => "農業",
            Industry::Other => "その他の業種",
        }
    }
}

/// 事業の形態: the legal form of the business the applicant runs or is an officer of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// 個人事業
    Individual,
    /// 株式会社・有限会社・合同会社・合名会社・合資会社
    Company,
    /// 企業組合
    EnterpriseUnion,
    /// 協業組合
    CooperativeUnion,
    /// 事業協同組合・事業協同小組合・商工組合 (共同事業を行うもの)
    BusinessCooperative,
    /// 農事組合法人
    AgriculturalCorporation,
    /// 弁護士法人・税理士法人などの士業法人
    ProfessionalCorporation,
    /// 医療法人・NPO法人・学校法人・社団法人など営利を目的としない法人
    NonProfit,
}

impl LegalForm {
    pub const ALL: [LegalForm; 8] = [
        LegalForm::Individual,
        LegalForm::Company,
        LegalForm::EnterpriseUnion,
        LegalForm::CooperativeUnion,
        LegalForm::BusinessCooperative,
        LegalForm::AgriculturalCorporation,
        LegalForm::ProfessionalCorporation,
        LegalForm::NonProfit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LegalForm::Individual => "individual",
            LegalForm::Company => "company",
            LegalForm::EnterpriseUnion => "enterprise_union",
            LegalForm::CooperativeUnion => "cooperative_union",
            LegalForm::BusinessCooperative => "business_cooperative",
            LegalForm::AgriculturalCorporation => "agricultural_corporation",
            LegalForm::ProfessionalCorporation => "professional_corporation",
            LegalForm::NonProfit => "non_profit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        LegalForm::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            LegalForm::Individual => "個人事業",
            LegalForm::Company => "会社（株式・有限・合同・合名・合資）",
            LegalForm::EnterpriseUnion => "企業組合",
            LegalForm::CooperativeUnion => "協業組合",
            LegalForm::BusinessCooperative => "事業協同組合・商工組合など",
            LegalForm::AgriculturalCorporation => "農事組合法人",
            LegalForm::ProfessionalCorporation => "士業法人（弁護士法人・税理士法人など）",
            LegalForm::NonProfit => "医療法人・NPO法人・学校法人など",
        }
    }
}

/// A size limit: a business qualifies when it is within the capital limit OR the employee limit
/// (倒産防止, REFERENCE §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeLimit {
    pub capital_yen: Option<Yen>,
    pub employees: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRules {
    /// Size limit per industry. Every industry must be listed.
    pub size_limits: Sourced<BTreeMap<Industry, SizeLimit>>,
    /// Limits that depend on the legal form instead of the industry (小規模: 士業法人 5 人,
    /// 企業組合 20 人 …).
    #[serde(default)]
    pub size_limits_by_legal_form: Option<Sourced<BTreeMap<LegalForm, SizeLimit>>>,
    /// Legal forms that may join at all.
    pub legal_forms: Sourced<Vec<LegalForm>>,
    /// 倒産防止: years of continuous business required (引き続き1年以上).
    #[serde(default)]
    pub min_years_in_business: Option<Sourced<i16>>,
    /// 小規模: co-managers allowed per sole proprietor.
    #[serde(default)]
    pub max_co_managers_per_proprietor: Option<Sourced<u32>>,
    /// Applicants younger than this are referred to staff (minors need conditions, §1.1).
    pub review_below_age: Sourced<i16>,
}

impl EligibilityRules {
    pub(super) fn check(&self, program: Program, p: &mut Vec<String>) {
        require_source("eligibility.size_limits", &self.size_limits, p);
        require_source("eligibility.legal_forms", &self.legal_forms, p);
        require_source("eligibility.review_below_age", &self.review_below_age, p);
        for industry in Industry::ALL {
            if !self.size_limits.value.contains_key(&industry) {
                p.push(format!(
                    "eligibility.size_limits: industry {} is missing",
                    industry.as_str()
                ));
            }
        }
        match program {
            Program::SafetyNet => {
                if self.min_years_in_business.is_none() {
                    p.push("eligibility.min_years_in_business is required for safety_net".into());
                }
            }
            Program::SmallEnterprise => {
                if self.max_co_managers_per_proprietor.is_none() {
                    p.push(
                        "eligibility.max_co_managers_per_proprietor is required for small_enterprise"
                            .into(),
                    );
                }
            }
        }
    }

    /// The size limit that applies to a business.
    pub fn size_limit(&self, legal_form: LegalForm, industry: Industry) -> Option<SizeLimit> {
        self.size_limits_by_legal_form
            .as_ref()
            .and_then(|m| m.value.get(&legal_form).copied())
            .or_else(|| self.size_limits.value.get(&industry).copied())
    }
}
