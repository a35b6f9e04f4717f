//! Kyosai's domain: the pure business rules of 小規模企業共済 and 経営セーフティ共済.
//!
//! Nothing here reads a clock, a file or a database: callers pass `today`, the rule set in force
//! and the facts, so every result can be recomputed as of any date.

pub mod calendar;
pub mod contract_number;
pub mod enrollment;
pub mod error;
pub mod money;
pub mod program;
pub mod rules;
pub mod schedule;

pub use calendar::{BusinessCalendar, YearMonth};
pub use contract_number::ContractNumber;
pub use error::{FieldError, Invalid};
pub use money::Yen;
pub use program::Program;
