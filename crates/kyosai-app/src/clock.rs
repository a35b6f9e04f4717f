//! The time source. Use cases ask the clock instead of the system so demo data and tests can fix
//! "now"; the domain gets `today` from here.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

/// Japan Standard Time. Japan has no daylight saving, so a fixed offset is exact and needs no
/// time-zone database on the machine.
pub fn jst() -> TimeZone {
    TimeZone::fixed(Offset::constant(9))
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Today's civil date in Japan.
    pub fn today(&self) -> Date {
        jst().to_datetime(self.now()).date()
    }

    /// Now as stored in the database.
    pub fn now_text(&self) -> String {
        kyosai_store::timestamp_text(self.now())
    }
}
