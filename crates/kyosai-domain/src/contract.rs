//! Where a contract and its debit mandates stand.

use serde::{Deserialize, Serialize};

/// A contract's state: billing walks active contracts only; a cancelled one keeps its ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContractStatus {
    Active,
    Cancelled,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 2] = [ContractStatus::Active, ContractStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Active => "active",
            ContractStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ContractStatus> {
        ContractStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state as staff and members read it.
    pub fn name_ja(self) -> &'static str {
        match self {
            ContractStatus::Active => "有効",
            ContractStatus::Cancelled => "解約",
        }
    }
}

/// A debit mandate's state (預金口座振替依頼).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MandateStatus {
    /// The newest mandate of its contract (at most one).
    Active,
    /// A debit result said the account cannot be debited.
    Unusable,
    /// A newer mandate takes over from its effective month; still used for the months before.
    Replaced,
}

impl MandateStatus {
    pub const ALL: [MandateStatus; 3] = [
        MandateStatus::Active,
        MandateStatus::Unusable,
        MandateStatus::Replaced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::Active => "active",
            MandateStatus::Unusable => "unusable",
            MandateStatus::Replaced => "replaced",
        }
    }

    pub fn parse(s: &str) -> Option<MandateStatus> {
        MandateStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}
