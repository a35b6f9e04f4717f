//! What every procedure (手続き) shares, whatever it changes: its kind, the channel it arrived by,
//! its status, and the automatic checks that decide it.
//!
//! A procedure is checked by rules the moment it arrives. Each check ends as passed, needs review
//! (a person must decide) or failed (the applicant must correct a field); the decision follows
//! from the checks alone, so the same rule gives the same answer online, on paper or at an agency.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A member procedure. The identifier is stored with every application, so the online usage
/// rate and lead times are counted per procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Procedure {
    /// 加入申込.
    Enrollment,
    /// 預金口座振替依頼書の再提出 (a new debit account).
    MandateChange,
    /// 任意解約 (the member's own cancellation, with the quoted refund).
    Cancellation,
    /// 払込区分兼指定納付月変更 (小規模, REFERENCE §2.5).
    FrequencyChange,
    /// 掛金前納の申出 (both programs, REFERENCE §2.3).
    Prepayment,
    /// 掛金納付掛止め (倒産防止; 小規模 only under a special measure, REFERENCE §2.6).
    Suspension,
    /// 掛金納付再開 (REFERENCE §2.6).
    Resumption,
    /// 届出事項変更: address, names, representative, phone, e-mail, capital and employees.
    DetailsChange,
    /// 掛金月額の増額・減額.
    PremiumChange,
    /// 一時貸付金の請求 (倒産防止, REFERENCE §5.2).
    TemporaryLoan,
    /// 共済金等の請求 (小規模, REFERENCE §3).
    BenefitClaim,
    /// 共済金貸付の請求 (倒産防止, REFERENCE §5.1): always reviewed by staff (evidence).
    BankruptcyLoan,
    /// 貸付金の繰上返済: everything owed on one loan, debited by the next billing run.
    LoanEarlyRepayment,
    /// 契約者貸付の借入れ (小規模, REFERENCE §4).
    MemberLoan,
    /// 掛金の納付期限の延長 (小規模 under a disaster special measure, REFERENCE §2.6).
    PremiumDeferral,
}

impl Procedure {
    pub const ALL: [Procedure; 15] = [
        Procedure::Enrollment,
        Procedure::MandateChange,
        Procedure::Cancellation,
        Procedure::FrequencyChange,
        Procedure::Prepayment,
        Procedure::Suspension,
        Procedure::Resumption,
        Procedure::DetailsChange,
        Procedure::PremiumChange,
        Procedure::TemporaryLoan,
        Procedure::BenefitClaim,
        Procedure::BankruptcyLoan,
        Procedure::LoanEarlyRepayment,
        Procedure::MemberLoan,
        Procedure::PremiumDeferral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::Enrollment => "enrollment",
            Procedure::MandateChange => "mandate_change",
            Procedure::Cancellation => "cancellation",
            Procedure::FrequencyChange => "frequency_change",
            Procedure::Prepayment => "prepayment",
            Procedure::Suspension => "suspension",
            Procedure::Resumption => "resumption",
            Procedure::DetailsChange => "details_change",
            Procedure::PremiumChange => "premium_change",
            Procedure::TemporaryLoan => "temporary_loan",
            Procedure::BenefitClaim => "benefit_claim",
            Procedure::BankruptcyLoan => "bankruptcy_loan",
            Procedure::LoanEarlyRepayment => "loan_early_repayment",
            Procedure::MemberLoan => "member_loan",
            Procedure::PremiumDeferral => "premium_deferral",
        }
    }

    pub fn parse(s: &str) -> Option<Procedure> {
        Procedure::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The name members and staff read.
    pub fn name_ja(self) -> &'static str {
        match self {
            Procedure::Enrollment => "加入申込",
            Procedure::MandateChange => "引落口座の変更",
            Procedure::Cancellation => "任意解約",
            Procedure::FrequencyChange => "払込区分の変更",
            Procedure::Prepayment => "掛金の前納",
            Procedure::Suspension => "掛金の掛止め",
            Procedure::Resumption => "掛金納付の再開",
            Procedure::DetailsChange => "登録内容の変更",
            Procedure::PremiumChange => "掛金月額の変更",
            Procedure::TemporaryLoan => "一時貸付金の借入れ",
            Procedure::BenefitClaim => "共済金等の請求",
            Procedure::BankruptcyLoan => "共済金貸付の請求",
            Procedure::LoanEarlyRepayment => "貸付金の繰上返済",
            Procedure::MemberLoan => "契約者貸付の借入れ",
            Procedure::PremiumDeferral => "掛金の納付期限の延長",
        }
    }
}

/// How a procedure reached the Organization: the member online, on paper (keyed in by staff or a
/// data-entry operator), or through an agency (委託機関) window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    Online,
    Paper,
    Agency,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Online, Channel::Paper, Channel::Agency];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Paper => "paper",
            Channel::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Channel::Online => "オンライン",
            Channel::Paper => "書面",
            Channel::Agency => "委託機関",
        }
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationStatus {
    /// A person must decide (staff queue).
    InReview,
    /// Done: decided by the rules at once, or approved by staff.
    Completed,
    /// Refused by staff, with a reason.
    Rejected,
    /// Taken back by the member before a decision.
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 4] = [
        ApplicationStatus::InReview,
        ApplicationStatus::Completed,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::InReview => "in_review",
            ApplicationStatus::Completed => "completed",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationStatus> {
        ApplicationStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// How one automatic check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CheckStatus {
    Passed,
    NeedsReview,
    Failed,
}

/// The result of one automatic check, kept with the application for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    pub code: String,
    pub status: CheckStatus,
    /// The field a failure is about, if any.
    pub field: Option<String>,
    pub message: String,
}

impl Check {
    pub fn new(
        code: &str,
        status: CheckStatus,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Check {
        Check {
            code: code.into(),
            status,
            field: field.map(Into::into),
            message: message.into(),
        }
    }
}

/// What the checks decide together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every check passed: complete the procedure now.
    Approve,
    /// Nothing failed but a person must decide.
    Review,
    /// At least one check failed: the applicant corrects the fields.
    Reject,
}

/// Every check of one submission, with the rule-set version that ran them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub rule_set: String,
    pub checks: Vec<Check>,
}

impl Assessment {
    /// Any failure refuses; otherwise any check needing a person sends it to review.
    pub fn decision(&self) -> Decision {
        if self.checks.iter().any(|c| c.status == CheckStatus::Failed) {
            Decision::Reject
        } else if self
            .checks
            .iter()
            .any(|c| c.status == CheckStatus::NeedsReview)
        {
            Decision::Review
        } else {
            Decision::Approve
        }
    }

    pub fn field_errors(&self) -> Vec<FieldError> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
            .map(|c| FieldError {
                field: c.field.clone().unwrap_or_else(|| "application".into()),
                code: "rule",
                message: c.message.clone(),
            })
            .collect()
    }

    pub fn review_reasons(&self) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::NeedsReview)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: CheckStatus) -> Check {
        Check {
            code: "c".into(),
            status,
            field: Some("f".into()),
            message: "m".into(),
        }
    }

    #[test]
    fn a_failure_outweighs_review_and_review_outweighs_passes() {
        let a = |s: &[CheckStatus]| Assessment {
            rule_set: "r".into(),
            checks: s.iter().map(|s| check(*s)).collect(),
        };
        use CheckStatus::*;
        assert_eq!(a(&[Passed, Passed]).decision(), Decision::Approve);
        assert_eq!(a(&[Passed, NeedsReview]).decision(), Decision::Review);
        assert_eq!(a(&[NeedsReview, Failed]).decision(), Decision::Reject);
        assert_eq!(a(&[NeedsReview, Failed]).field_errors().len(), 1);
    }

    #[test]
    fn identifiers_round_trip() {
        for p in Procedure::ALL {
            assert_eq!(Procedure::parse(p.as_str()), Some(p));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Procedure::parse("enrolment"), None);
    }
}
