//! Billing runs, bill lines, request files, result imports and notices (issue #4). The ledger
//! they post to is [`crate::ledger`].
//!
//! Bulk writes use multi-row INSERTs (a few hundred rows per statement) so a national billing
//! run stays close to the database's own insert speed. The modules are private: everything is
//! used as `billing::…`.

mod billable;
mod exceptions;
mod failed;
mod files;
mod imports;
mod lines;
mod notices;
mod originators;
mod runs;

pub use billable::*;
pub use exceptions::*;
pub use failed::*;
pub use files::*;
pub use imports::*;
pub use lines::*;
pub use notices::*;
pub use originators::*;
pub use runs::*;
