//! The two programs the Organization runs.

use serde::{Deserialize, Serialize};

/// 小規模企業共済 (Small Enterprise Mutual Aid) or 経営セーフティ共済 (Safety Net Mutual Aid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Program {
    SmallEnterprise,
    SafetyNet,
}

impl Program {
    pub const ALL: [Program; 2] = [Program::SmallEnterprise, Program::SafetyNet];

    /// The identifier used in URLs, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Program::SmallEnterprise => "small_enterprise",
            Program::SafetyNet => "safety_net",
        }
    }

    pub fn parse(s: &str) -> Option<Program> {
        match s {
            "small_enterprise" => Some(Program::SmallEnterprise),
            "safety_net" => Some(Program::SafetyNet),
            _ => None,
        }
    }

    /// The name members know the program by.
    pub fn name_ja(self) -> &'static str {
        match self {
            Program::SmallEnterprise => "小規模企業共済",
            Program::SafetyNet => "経営セーフティ共済（中小企業倒産防止共済）",
        }
    }
}
