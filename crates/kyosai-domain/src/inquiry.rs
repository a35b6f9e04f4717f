//! Inquiries to the contact center (共済相談室, REFERENCE §6.2 and §9.4): what the caller asked
//! about and how the call ended. The categories tell which procedures confuse people (and so
//! which help pages to improve); the scorecard reports inquiries per 1,000 members.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InquiryCategory {
    Enrollment,
    PremiumChange,
    DebitAccount,
    DetailsChange,
    Cancellation,
    Billing,
    OnlineHowTo,
    Other,
}

impl InquiryCategory {
    pub const ALL: [InquiryCategory; 8] = [
        InquiryCategory::Enrollment,
        InquiryCategory::PremiumChange,
        InquiryCategory::DebitAccount,
        InquiryCategory::DetailsChange,
        InquiryCategory::Cancellation,
        InquiryCategory::Billing,
        InquiryCategory::OnlineHowTo,
        InquiryCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryCategory::Enrollment => "enrollment",
            InquiryCategory::PremiumChange => "premium_change",
            InquiryCategory::DebitAccount => "debit_account",
            InquiryCategory::DetailsChange => "details_change",
            InquiryCategory::Cancellation => "cancellation",
            InquiryCategory::Billing => "billing",
            InquiryCategory::OnlineHowTo => "online_how_to",
            InquiryCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<InquiryCategory> {
        InquiryCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            InquiryCategory::Enrollment => "加入",
            InquiryCategory::PremiumChange => "掛金月額の変更",
            InquiryCategory::DebitAccount => "引落口座",
            InquiryCategory::DetailsChange => "登録内容の変更",
            InquiryCategory::Cancellation => "解約",
            InquiryCategory::Billing => "掛金の引落し・請求",
            InquiryCategory::OnlineHowTo => "オンライン手続きの操作",
            InquiryCategory::Other => "その他",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InquiryOutcome {
    /// Answered on the phone.
    Answered,
    /// Guided to the online procedure (a link sent or read out).
    GuidedOnline,
    /// A paper form sent.
    PaperFormSent,
    /// Passed to a section of the Organization.
    Escalated,
}

impl InquiryOutcome {
    pub const ALL: [InquiryOutcome; 4] = [
        InquiryOutcome::Answered,
        InquiryOutcome::GuidedOnline,
        InquiryOutcome::PaperFormSent,
        InquiryOutcome::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryOutcome::Answered => "answered",
            InquiryOutcome::GuidedOnline => "guided_online",
            InquiryOutcome::PaperFormSent => "paper_form_sent",
            InquiryOutcome::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<InquiryOutcome> {
        InquiryOutcome::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            InquiryOutcome::Answered => "電話で回答した",
            InquiryOutcome::GuidedOnline => "オンライン手続きを案内した",
            InquiryOutcome::PaperFormSent => "書面の用紙を送った",
            InquiryOutcome::Escalated => "担当課へ引き継いだ",
        }
    }
}
