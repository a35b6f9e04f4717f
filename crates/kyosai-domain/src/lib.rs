//! Kyosai's domain: the pure business rules of 小規模企業共済 and 経営セーフティ共済.
//!
//! Nothing here reads a clock, a file or a database: callers pass `today`, the rule set in force
//! and the facts, so every result can be recomputed as of any date.
//!
//! Calculators live in [`small_enterprise`] and [`safety_net`]; every number they use comes from a
//! [`rules::RuleSet`]; [`simulation`] is the public simulation API (request/response types and one
//! pure function per endpoint); [`special_measures`] holds disaster measures (特例) as data.

pub mod arrears;
pub mod billing;
pub mod calendar;
pub mod contract;
pub mod contract_number;
pub mod corporate_number;
pub mod enrollment;
pub mod error;
pub mod ids;
pub mod input;
pub mod inquiry;
pub mod japanese_era;
pub mod loan;
pub mod money;
pub mod payout;
pub mod prefecture;
pub mod prepayment_discount;
pub mod procedure;
pub mod program;
pub mod rate;
pub mod rounding;
pub mod rules;
pub mod safety_net;
pub mod schedule;
pub mod scorecard;
pub mod simulation;
pub mod small_enterprise;
pub mod special_measures;
pub mod termination;

pub use calendar::{BusinessCalendar, YearMonth};
pub use contract::{ContractStatus, MandateStatus};
pub use contract_number::ContractNumber;
pub use error::{FieldError, Invalid, Reason};
pub use ids::*;
pub use money::Yen;
pub use procedure::{ApplicationStatus, Channel, Procedure};
pub use program::Program;
pub use rate::Rate;
