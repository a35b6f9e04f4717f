//! Development tools, not used by the service itself: the bank simulator, the synthetic book of
//! contracts and the demo data of `kyosai serve --demo`.

pub mod bank_simulator;
pub mod demo;
pub mod synthetic;
