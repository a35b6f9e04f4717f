//! Payouts (支払): every amount Kyosai has decided to pay — a 共済金, one instalment of a
//! 分割共済金, a cancellation refund (解約手当金, from 任意解約, 機構解約 or みなし解約), a 前納減額金,
//! a loan disbursement — is one scheduled payout, paid by a Zengin 総合振込 file on its date
//! (REFERENCE §3, §5, §8). Deciding an amount and paying it are separate steps so that a payout
//! run can be rerun, held and audited without touching the decision.

use serde::{Deserialize, Serialize};

/// What a payout pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PayoutKind {
    /// 共済金 A/B or 準共済金 paid at once (一括), or the lump part of a combined payout.
    Benefit,
    /// One instalment of 分割共済金 (10 or 15 years).
    BenefitInstalment,
    /// 解約手当金 of a cancellation (either program, any kind of cancellation).
    CancellationRefund,
    /// 前納減額金 paid out rather than applied.
    PrepaymentDiscount,
    /// A loan's amount, transferred to the member (共済金貸付, 一時貸付金, 契約者貸付).
    LoanDisbursement,
}

impl PayoutKind {
    pub const ALL: [PayoutKind; 5] = [
        PayoutKind::Benefit,
        PayoutKind::BenefitInstalment,
        PayoutKind::CancellationRefund,
        PayoutKind::PrepaymentDiscount,
        PayoutKind::LoanDisbursement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutKind::Benefit => "benefit",
            PayoutKind::BenefitInstalment => "benefit_instalment",
            PayoutKind::CancellationRefund => "cancellation_refund",
            PayoutKind::PrepaymentDiscount => "prepayment_discount",
            PayoutKind::LoanDisbursement => "loan_disbursement",
        }
    }

    pub fn parse(s: &str) -> Option<PayoutKind> {
        PayoutKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the member reads in the portal.
    pub fn name_ja(self) -> &'static str {
        match self {
            PayoutKind::Benefit => "共済金",
            PayoutKind::BenefitInstalment => "分割共済金",
            PayoutKind::CancellationRefund => "解約手当金",
            PayoutKind::PrepaymentDiscount => "前納減額金",
            PayoutKind::LoanDisbursement => "貸付金",
        }
    }
}

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PayoutStatus {
    /// Decided, waiting for the run of its date.
    Scheduled,
    /// Written to a transfer file that was delivered.
    Paid,
    /// Not paid: the bank returned the transfer (振込不能) or staff stopped it; waits for a
    /// new account or a decision.
    Held,
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 3] = [
        PayoutStatus::Scheduled,
        PayoutStatus::Paid,
        PayoutStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Scheduled => "scheduled",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<PayoutStatus> {
        PayoutStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in PayoutKind::ALL {
            assert_eq!(PayoutKind::parse(k.as_str()), Some(k));
        }
        for s in PayoutStatus::ALL {
            assert_eq!(PayoutStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PayoutKind::parse("bonus"), None);
    }
}
