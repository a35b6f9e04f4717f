//! Paying what Kyosai has decided to pay (issue #11 items 4–5): payout runs that write Zengin
//! 総合振込 (種別 21) files, and the member's and staff's views of payouts.

pub mod member;
pub(crate) mod payee;
pub mod returns;
pub mod run;
pub mod staff;

pub use member::PayoutView;
pub use run::{PayoutRunOptions, PayoutRunSummary, RunFileSummary};
