//! The public simulation API (issue #3): request and response types matching the HTTP contract
//! field for field, and one pure function per endpoint.
//!
//! Each function validates its request (every problem as a [`FieldError`] with a stable code and a
//! Japanese message, all reported at once), takes the rule set in force on `today`, computes, and
//! reports `estimate` (a provisional value was used: show 概算) and `rule_set` (the version id).
//! The web layer wraps each function 1:1 as a handler and maps [`Invalid`] to HTTP 422 with the
//! error envelope.
//!
//! | Endpoint | Function |
//! |---|---|
//! | `POST /api/v1/simulations/small-enterprise/benefit` | [`small_enterprise_benefit`] |
//! | `POST /api/v1/simulations/small-enterprise/payout-options` | [`small_enterprise_payout_options`] |
//! | `POST /api/v1/simulations/safety-net/cancellation-refund` | [`safety_net_cancellation_refund`] |
//! | `POST /api/v1/simulations/safety-net/bankruptcy-loan` | [`safety_net_bankruptcy_loan`] |
//! | `POST /api/v1/simulations/safety-net/temporary-loan` | [`safety_net_temporary_loan`] |
//! | `POST /api/v1/simulations/safety-net/prepayment-discount` | [`safety_net_prepayment_discount`] |
//! | `GET /api/v1/calendar/debit-date?program=…&month=YYYY-MM` | [`debit_date`] |

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, YearMonth};
use crate::error::{FieldError, Invalid, Reason};
use crate::money::Yen;
use crate::program::Program;
use crate::rate::Percent;
use crate::rules::{PremiumRules, RuleBook, RuleSet, SafetyNetRules, SmallEnterpriseRules};
use crate::safety_net::{self, Cancellation};
use crate::schedule;
use crate::small_enterprise::{self, ClaimReason, PremiumSegment, payout};

/// Amounts above this are refused as input (far above anything real, far below overflow).
pub const MAX_INPUT_YEN: i64 = 1_000_000_000_000;
/// Longest history accepted: 100 years.
pub const MAX_MONTHS: i64 = 1_200;
/// Most history entries accepted.
pub const MAX_HISTORY_ENTRIES: usize = 240;

// ---------------------------------------------------------------------------------------------
// 1. 小規模企業共済: benefit / refund
// ---------------------------------------------------------------------------------------------

/// What is being claimed: a 共済金 or a 解約手当金.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BenefitReason {
    #[serde(rename = "A")]
    A,
    #[serde(rename = "B")]
    B,
    #[serde(rename = "quasi")]
    Quasi,
    #[serde(rename = "voluntary_cancellation")]
    VoluntaryCancellation,
    #[serde(rename = "cancellation_by_organization")]
    CancellationByOrganization,
    /// Deemed cancellation of law §12(3)(2) (an extension of the list).
    #[serde(rename = "deemed_cancellation")]
    DeemedCancellation,
}

/// One stretch of the premium history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub monthly_premium_yen: i64,
    pub months: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BenefitRequest {
    pub reason: BenefitReason,
    /// Chronological.
    pub history: Vec<HistoryEntry>,
    /// For the 付加共済金 of that fiscal year; none without it.
    #[serde(default)]
    pub fiscal_year: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrancheResponse {
    pub units: u32,
    pub months_paid: u32,
    pub amount_yen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BenefitResponse {
    pub amount_yen: i64,
    pub base_yen: i64,
    pub bonus_yen: i64,
    pub total_paid_yen: i64,
    pub months_paid: u32,
    pub tranches: Vec<TrancheResponse>,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/small-enterprise/benefit`.
pub fn small_enterprise_benefit(
    req: &BenefitRequest,
    book: &RuleBook,
    today: Date,
) -> Result<BenefitResponse, Invalid> {
    let (set, rules) = small_enterprise_rules(book, today)?;
    let mut errs = Vec::new();
    let history = validate_history(&req.history, &set.premium, &mut errs);
    let fiscal_year = req.fiscal_year.and_then(|fy| {
        let current = i64::from(fiscal_year_of(today));
        if (1965..=current + 1).contains(&fy) {
            i16::try_from(fy).ok()
        } else {
            errs.push(FieldError::new(
                "fiscal_year",
                "out_of_range",
                format!("年度は1965から{}の範囲で入力してください。", current + 1),
            ));
            None
        }
    });
    finish(errs)?;
    let result = match req.reason {
        BenefitReason::A => small_enterprise::benefit(rules, ClaimReason::A, &history, fiscal_year),
        BenefitReason::B => small_enterprise::benefit(rules, ClaimReason::B, &history, fiscal_year),
        BenefitReason::Quasi => {
            small_enterprise::benefit(rules, ClaimReason::Quasi, &history, fiscal_year)
        }
        BenefitReason::VoluntaryCancellation | BenefitReason::CancellationByOrganization => {
            small_enterprise::cancellation_refund(rules, &history)
        }
        BenefitReason::DeemedCancellation => {
            small_enterprise::deemed_cancellation_refund(rules, &history)
        }
    }
    .map_err(history_error)?;
    Ok(BenefitResponse {
        amount_yen: result.amount.get(),
        base_yen: result.base.get(),
        bonus_yen: result.bonus.get(),
        total_paid_yen: result.total_paid.get(),
        months_paid: result.months_paid,
        tranches: result
            .tranches
            .iter()
            .map(|t| TrancheResponse {
                units: t.tranche.units,
                months_paid: t.tranche.months_paid,
                amount_yen: t.amount.get(),
            })
            .collect(),
        estimate: result.estimate,
        rule_set: set.id.clone(),
    })
}

fn validate_history(
    entries: &[HistoryEntry],
    premium: &PremiumRules,
    errs: &mut Vec<FieldError>,
) -> Vec<PremiumSegment> {
    if entries.is_empty() {
        errs.push(FieldError::new(
            "history",
            "required",
            "掛金の履歴を1件以上入力してください。",
        ));
        return Vec::new();
    }
    if entries.len() > MAX_HISTORY_ENTRIES {
        errs.push(FieldError::new(
            "history",
            "too_many",
            format!("掛金の履歴は{MAX_HISTORY_ENTRIES}件以内で入力してください。"),
        ));
        return Vec::new();
    }
    let mut out = Vec::with_capacity(entries.len());
    let mut total_months: i64 = 0;
    for (i, e) in entries.iter().enumerate() {
        let field = format!("history[{i}].monthly_premium_yen");
        if let Err(err) = premium.check_monthly(Yen::new(e.monthly_premium_yen)) {
            errs.push(err.field_error(&field));
        }
        if !(1..=MAX_MONTHS).contains(&e.months) {
            errs.push(FieldError::new(
                format!("history[{i}].months"),
                "out_of_range",
                format!("月数は1から{MAX_MONTHS}の範囲で入力してください。"),
            ));
        }
        total_months = total_months.saturating_add(e.months.max(0));
        out.push(PremiumSegment {
            monthly_premium: Yen::new(e.monthly_premium_yen),
            months: u32::try_from(e.months.clamp(0, MAX_MONTHS)).unwrap_or(0),
        });
    }
    if total_months > MAX_MONTHS {
        errs.push(FieldError::new(
            "history",
            "out_of_range",
            format!("掛金を納付した月数の合計は{MAX_MONTHS}か月以内で入力してください。"),
        ));
    }
    out
}

fn history_error(e: small_enterprise::HistoryError) -> Invalid {
    use small_enterprise::HistoryError as H;
    let (H::NotPositive { index } | H::NotAMultipleOfUnit { index } | H::TooLarge { index }) = e;
    Invalid::one(
        format!("history[{index}].monthly_premium_yen"),
        "invalid",
        "掛金月額を確認してください。",
    )
}

// ---------------------------------------------------------------------------------------------
// 2. 小規模企業共済: payout options
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutOptionsRequest {
    pub reason: ClaimReason,
    pub age_at_event: i64,
    pub net_amount_yen: i64,
    #[serde(default)]
    pub death: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutOptionsResponse {
    pub lump_sum: bool,
    pub instalments: bool,
    pub combined: bool,
    pub instalment_years: Vec<u32>,
    pub instalment_months: Vec<i8>,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/small-enterprise/payout-options`.
pub fn small_enterprise_payout_options(
    req: &PayoutOptionsRequest,
    book: &RuleBook,
    today: Date,
) -> Result<PayoutOptionsResponse, Invalid> {
    let (set, rules) = small_enterprise_rules(book, today)?;
    let mut errs = Vec::new();
    if !(0..=130).contains(&req.age_at_event) {
        errs.push(FieldError::new(
            "age_at_event",
            "out_of_range",
            "年齢は0から130の範囲で入力してください。",
        ));
    }
    check_amount(
        "net_amount_yen",
        req.net_amount_yen,
        "差引支給額",
        &mut errs,
    );
    finish(errs)?;
    let p = &rules.payout;
    let options = payout::payout_options(
        p,
        &payout::PayoutFacts {
            reason: req.reason,
            age_at_event: u32::try_from(req.age_at_event).unwrap_or(0),
            net_amount: Yen::new(req.net_amount_yen),
            death: req.death,
        },
    );
    Ok(PayoutOptionsResponse {
        lump_sum: options.lump_sum,
        instalments: options.instalments,
        combined: options.combined,
        instalment_years: options.instalment_years,
        instalment_months: options.instalment_months,
        estimate: [
            p.instalment_min_age.provisional,
            p.instalment_min_net_yen.provisional,
            p.combined_min_net_yen.provisional,
            p.instalment_years.provisional,
            p.instalment_months.provisional,
        ]
        .contains(&true),
        rule_set: set.id.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// 3. 経営セーフティ共済: cancellation refund
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SafetyNetRefundRequest {
    pub cancellation: Cancellation,
    pub months_paid: i64,
    pub total_paid_yen: i64,
    #[serde(default)]
    pub bankruptcy_loans_received_yen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SafetyNetRefundResponse {
    pub amount_yen: i64,
    /// e.g. `80` (a JSON number; a decimal if a rule file ever holds a fractional percentage).
    pub rate_percent: Percent,
    pub base_yen: i64,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/safety-net/cancellation-refund`.
pub fn safety_net_cancellation_refund(
    req: &SafetyNetRefundRequest,
    book: &RuleBook,
    today: Date,
) -> Result<SafetyNetRefundResponse, Invalid> {
    let (set, rules) = safety_net_rules(book, today)?;
    let mut errs = Vec::new();
    check_months("months_paid", req.months_paid, &mut errs);
    check_total_paid(
        "total_paid_yen",
        req.total_paid_yen,
        req.months_paid,
        &set.premium,
        &mut errs,
    );
    check_amount(
        "bankruptcy_loans_received_yen",
        req.bankruptcy_loans_received_yen,
        "共済金貸付の受領額",
        &mut errs,
    );
    finish(errs)?;
    let r = safety_net::cancellation_refund::cancellation_refund(
        &rules.cancellation,
        req.cancellation,
        months(req.months_paid),
        Yen::new(req.total_paid_yen),
        Yen::new(req.bankruptcy_loans_received_yen),
    );
    Ok(SafetyNetRefundResponse {
        amount_yen: r.amount.get(),
        rate_percent: Percent(r.rate),
        base_yen: r.base.get(),
        estimate: r.estimate,
        rule_set: set.id.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// 4. 経営セーフティ共済: bankruptcy loan
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankruptcyLoanRequest {
    pub months_since_joining: i64,
    pub months_paid: i64,
    pub monthly_premium_yen: i64,
    pub total_paid_yen: i64,
    pub loss_yen: i64,
    #[serde(default)]
    pub outstanding_loans_yen: i64,
    pub monthly_transactions_yen: i64,
    pub bankruptcy_date: Date,
    /// Defaults to `today`.
    #[serde(default)]
    pub request_date: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankruptcyLoanResponse {
    pub eligible: bool,
    pub limit_yen: i64,
    pub reasons: Vec<Reason>,
    /// Null when not eligible.
    pub repayment_years: Option<u32>,
    /// Null when not eligible.
    pub grace_months: Option<u32>,
    pub premium_reduction_yen: i64,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/safety-net/bankruptcy-loan`.
pub fn safety_net_bankruptcy_loan(
    req: &BankruptcyLoanRequest,
    book: &RuleBook,
    today: Date,
) -> Result<BankruptcyLoanResponse, Invalid> {
    let (set, rules) = safety_net_rules(book, today)?;
    let mut errs = Vec::new();
    check_months("months_since_joining", req.months_since_joining, &mut errs);
    check_months("months_paid", req.months_paid, &mut errs);
    if req.months_paid > req.months_since_joining && req.months_since_joining >= 0 {
        errs.push(FieldError::new(
            "months_paid",
            "inconsistent",
            "掛金納付月数は加入後の経過月数以下で入力してください（前納分は含めません）。",
        ));
    }
    if let Err(e) = set.premium.check_monthly(Yen::new(req.monthly_premium_yen)) {
        errs.push(e.field_error("monthly_premium_yen"));
    }
    check_total_paid(
        "total_paid_yen",
        req.total_paid_yen,
        req.months_paid,
        &set.premium,
        &mut errs,
    );
    check_amount("loss_yen", req.loss_yen, "被害額", &mut errs);
    check_amount(
        "outstanding_loans_yen",
        req.outstanding_loans_yen,
        "貸付残高",
        &mut errs,
    );
    check_amount(
        "monthly_transactions_yen",
        req.monthly_transactions_yen,
        "月間の総取引額",
        &mut errs,
    );
    let request_date = req.request_date.unwrap_or(today);
    if request_date < req.bankruptcy_date {
        errs.push(FieldError::new(
            "request_date",
            "before_bankruptcy",
            "請求日は取引先の倒産日以降の日付を入力してください。",
        ));
    }
    finish(errs)?;
    let r = safety_net::bankruptcy_loan::bankruptcy_loan(
        &rules.bankruptcy_loan,
        &safety_net::bankruptcy_loan::BankruptcyLoanFacts {
            months_since_joining: months(req.months_since_joining),
            months_paid: months(req.months_paid),
            monthly_premium: Yen::new(req.monthly_premium_yen),
            total_paid: Yen::new(req.total_paid_yen),
            loss: Yen::new(req.loss_yen),
            outstanding: Yen::new(req.outstanding_loans_yen),
            monthly_transactions: Yen::new(req.monthly_transactions_yen),
            bankruptcy_date: req.bankruptcy_date,
            request_date,
        },
    );
    Ok(BankruptcyLoanResponse {
        eligible: r.eligible,
        limit_yen: r.limit.get(),
        reasons: r.reasons,
        repayment_years: r.repayment_years,
        grace_months: r.grace_months,
        premium_reduction_yen: r.premium_reduction.get(),
        estimate: r.estimate,
        rule_set: set.id.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// 5. 経営セーフティ共済: temporary loan
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryLoanRequest {
    pub months_paid: i64,
    pub total_paid_yen: i64,
    #[serde(default)]
    pub outstanding_loans_yen: i64,
    /// Optional extension of the contract: the holder was at the old 320万 cap on H23-9-30 and
    /// never raised the premium to 85,000 (REFERENCE §5.2: limit 300万). Defaults to false.
    #[serde(default)]
    pub legacy_holder: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryLoanResponse {
    pub eligible: bool,
    pub limit_yen: i64,
    pub reasons: Vec<Reason>,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/safety-net/temporary-loan`.
pub fn safety_net_temporary_loan(
    req: &TemporaryLoanRequest,
    book: &RuleBook,
    today: Date,
) -> Result<TemporaryLoanResponse, Invalid> {
    let (set, rules) = safety_net_rules(book, today)?;
    let mut errs = Vec::new();
    check_months("months_paid", req.months_paid, &mut errs);
    check_total_paid(
        "total_paid_yen",
        req.total_paid_yen,
        req.months_paid,
        &set.premium,
        &mut errs,
    );
    check_amount(
        "outstanding_loans_yen",
        req.outstanding_loans_yen,
        "貸付残高",
        &mut errs,
    );
    finish(errs)?;
    let r = safety_net::temporary_loan::temporary_loan(
        &rules.temporary_loan,
        &rules.cancellation,
        set.premium.accumulation_cap_yen.as_ref().map(|c| c.value),
        &safety_net::temporary_loan::TemporaryLoanFacts {
            months_paid: months(req.months_paid),
            total_paid: Yen::new(req.total_paid_yen),
            outstanding: Yen::new(req.outstanding_loans_yen),
            legacy_holder: req.legacy_holder,
        },
    );
    Ok(TemporaryLoanResponse {
        eligible: r.eligible,
        limit_yen: r.limit.get(),
        reasons: r.reasons,
        estimate: r.estimate,
        rule_set: set.id.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// 6. 経営セーフティ共済: prepayment discount
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrepaymentDiscountRequest {
    pub monthly_premium_yen: i64,
    /// Pays the next `months_ahead` months now.
    pub months_ahead: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrepaymentDiscountResponse {
    pub discount_yen: i64,
    pub estimate: bool,
    pub rule_set: String,
}

/// `POST /api/v1/simulations/safety-net/prepayment-discount`, at the rate in force on `today`.
pub fn safety_net_prepayment_discount(
    req: &PrepaymentDiscountRequest,
    book: &RuleBook,
    today: Date,
) -> Result<PrepaymentDiscountResponse, Invalid> {
    let (set, rules) = safety_net_rules(book, today)?;
    let mut errs = Vec::new();
    if let Err(e) = set.premium.check_monthly(Yen::new(req.monthly_premium_yen)) {
        errs.push(e.field_error("monthly_premium_yen"));
    }
    let max_ahead = rules
        .prepayment
        .max_months_ahead
        .as_ref()
        .map_or(MAX_MONTHS, |m| i64::from(m.value));
    if !(1..=max_ahead).contains(&req.months_ahead) {
        errs.push(FieldError::new(
            "months_ahead",
            "out_of_range",
            format!("前納する月数は1から{max_ahead}の範囲で入力してください。"),
        ));
    } else if let Some(cap) = &set.premium.accumulation_cap_yen
        && errs.is_empty()
        && req.monthly_premium_yen.saturating_mul(req.months_ahead) > cap.value.get()
    {
        errs.push(FieldError::new(
            "months_ahead",
            "above_cap",
            format!(
                "前納する掛金の合計が積立限度額（{}）を超えています。",
                cap.value
            ),
        ));
    }
    finish(errs)?;
    let p = &rules.prepayment;
    Ok(PrepaymentDiscountResponse {
        discount_yen: safety_net::prepayment::discount(
            p,
            Yen::new(req.monthly_premium_yen),
            months(req.months_ahead),
        )
        .get(),
        estimate: p.discount_rate.provisional
            || p.max_counted_months_ahead
                .as_ref()
                .is_some_and(|m| m.provisional),
        rule_set: set.id.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// 7. Debit date
// ---------------------------------------------------------------------------------------------

/// Query parameters, as received (validated here so every problem gets a field message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebitDateQuery {
    pub program: String,
    pub month: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebitDateResponse {
    pub date: Date,
}

/// `GET /api/v1/calendar/debit-date?program=small_enterprise|safety_net&month=YYYY-MM`: the
/// debit date of that month after business-day adjustment, by the rule set in force that month.
/// Months from 2000-01 to 24 months after `today` (holiday data does not reach further).
pub fn debit_date(
    q: &DebitDateQuery,
    book: &RuleBook,
    cal: &BusinessCalendar,
    today: Date,
) -> Result<DebitDateResponse, Invalid> {
    let mut errs = Vec::new();
    let program = Program::parse(q.program.trim());
    if program.is_none() {
        errs.push(FieldError::new(
            "program",
            "unknown",
            "制度は small_enterprise（小規模企業共済）または safety_net（経営セーフティ共済）を指定してください。",
        ));
    }
    let month = match q.month.trim().parse::<YearMonth>() {
        Ok(m) => {
            let last = YearMonth::of(today).plus(24);
            let first = YearMonth::new(2000, 1);
            if first.is_some_and(|f| m < f) || m > last {
                errs.push(FieldError::new(
                    "month",
                    "out_of_range",
                    format!("年月は2000-01から{last}の範囲で指定してください。"),
                ));
                None
            } else {
                Some(m)
            }
        }
        Err(e) => {
            errs.extend(e.0);
            None
        }
    };
    finish(errs)?;
    let (Some(program), Some(month)) = (program, month) else {
        return Err(Invalid::one("month", "format", "年月を確認してください。"));
    };
    let set = book
        .in_force(program, month.day(1))
        .ok_or_else(|| before_first_version(book, program, "month"))?;
    Ok(DebitDateResponse {
        date: schedule::debit_date(&set.collection, cal, month),
    })
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The fiscal year (April–March) a date falls in.
pub fn fiscal_year_of(date: Date) -> i16 {
    YearMonth::of(date).fiscal_year()
}

fn rules_unavailable() -> Invalid {
    Invalid::one(
        "rule_set",
        "rules_unavailable",
        "計算に必要な規則が登録されていません。時間をおいて再度お試しください。",
    )
}

/// No version covers the date: before the first one the caller gets a field error with the
/// stable code `before_rule_sets` (the older rules are not in the book, and today's would give
/// wrong figures); a program with no version at all is our problem.
fn before_first_version(book: &RuleBook, program: Program, field: &str) -> Invalid {
    match book.earliest(program) {
        Some(first) => Invalid::one(
            field,
            "before_rule_sets",
            format!(
                "{}の規則は{}年{}月{}日以降の分のみ登録されています。それより前の日付には対応していません。",
                program.name_ja(),
                first.year(),
                first.month(),
                first.day()
            ),
        ),
        None => rules_unavailable(),
    }
}

fn small_enterprise_rules(
    book: &RuleBook,
    today: Date,
) -> Result<(&RuleSet, &SmallEnterpriseRules), Invalid> {
    let set = book
        .in_force(Program::SmallEnterprise, today)
        .ok_or_else(rules_unavailable)?;
    let rules = set
        .small_enterprise
        .as_ref()
        .ok_or_else(rules_unavailable)?;
    Ok((set, rules))
}

fn safety_net_rules(book: &RuleBook, today: Date) -> Result<(&RuleSet, &SafetyNetRules), Invalid> {
    let set = book
        .in_force(Program::SafetyNet, today)
        .ok_or_else(rules_unavailable)?;
    let rules = set.safety_net.as_ref().ok_or_else(rules_unavailable)?;
    Ok((set, rules))
}

fn finish(errs: Vec<FieldError>) -> Result<(), Invalid> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errs))
    }
}

fn months(m: i64) -> u32 {
    u32::try_from(m.clamp(0, MAX_MONTHS)).unwrap_or(0)
}

fn check_months(field: &str, m: i64, errs: &mut Vec<FieldError>) {
    if !(0..=MAX_MONTHS).contains(&m) {
        errs.push(FieldError::new(
            field,
            "out_of_range",
            format!("月数は0から{MAX_MONTHS}の範囲で入力してください。"),
        ));
    }
}

fn check_amount(field: &str, yen: i64, label: &str, errs: &mut Vec<FieldError>) {
    if !(0..=MAX_INPUT_YEN).contains(&yen) {
        errs.push(FieldError::new(
            field,
            "out_of_range",
            format!(
                "{label}は0円以上の金額で入力してください（上限{}）。",
                Yen::new(MAX_INPUT_YEN)
            ),
        ));
    }
}

/// 掛金総額 must be possible: within the accumulation cap and between months × the smallest and
/// months × the largest monthly premium.
fn check_total_paid(
    field: &str,
    yen: i64,
    months_paid: i64,
    rules: &PremiumRules,
    errs: &mut Vec<FieldError>,
) {
    let cap = rules.accumulation_cap_yen.as_ref().map(|c| c.value);
    let upper = cap.map_or(MAX_INPUT_YEN, |c| c.get());
    if !(0..=upper).contains(&yen) {
        errs.push(FieldError::new(
            field,
            "out_of_range",
            format!(
                "掛金総額は0円から{}の範囲で入力してください。",
                Yen::new(upper)
            ),
        ));
        return;
    }
    if !(0..=MAX_MONTHS).contains(&months_paid) {
        return;
    }
    let lo = rules
        .min_monthly_yen
        .value
        .get()
        .saturating_mul(months_paid);
    let hi = rules
        .max_monthly_yen
        .value
        .get()
        .saturating_mul(months_paid);
    if yen < lo || yen > hi {
        errs.push(FieldError::new(
            field,
            "inconsistent",
            format!(
                "掛金総額が納付月数と合いません（{}か月なら{}から{}の範囲です）。",
                months_paid,
                Yen::new(lo),
                Yen::new(hi.min(upper))
            ),
        ));
    }
}
