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

use sqlx::AnyConnection;

use crate::bulk::is_sqlite;

/// Wraps a select list so a whole result comes back as one JSON text (an array of arrays):
/// `{open}col, col…{close}`. Decoding rows one by one through the `Any` driver costs about 10 µs
/// per row; one JSON value per chunk costs a fraction of that.
///
/// The arrays come in no particular order: every caller sorts what it decodes by id. An
/// `ORDER BY` inside PostgreSQL's `json_agg` sorted the chunk's JSON values again, spilling to a
/// temporary file past `work_mem` (measured: 122 ms instead of 101 ms for a chunk of 20,000
/// contracts, 566 ms instead of about 300 ms for a page of 100,000 lines for results).
fn json_agg(conn: &AnyConnection) -> (&'static str, &'static str) {
    if is_sqlite(conn) {
        ("json_group_array(json_array(", "))")
    } else {
        (
            "COALESCE(json_agg(json_build_array(",
            ")), '[]'::json)::text",
        )
    }
}
