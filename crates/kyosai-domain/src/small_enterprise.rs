//! 小規模企業共済 calculators (REFERENCE §3, §4). Pure functions of the rule-set section
//! [`SmallEnterpriseRules`](crate::rules::SmallEnterpriseRules) and the facts.

pub mod arrears;
pub mod benefit;
pub mod cancellation_refund;
pub mod claim;
pub mod frequency_change;
pub mod member_loan;
pub mod payout;
pub mod premium_change;
pub mod tranches;

pub use crate::rules::small_enterprise::{ClaimReason, MemberLoanKind};
pub use benefit::{BenefitResult, TrancheAmount, benefit};
pub use cancellation_refund::{
    cancellation_refund, cancellation_refund_dated, deemed_cancellation_refund,
};
pub use tranches::{HistoryError, PremiumSegment, Tranche, Tranches, tranches};
