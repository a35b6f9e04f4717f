//! Zengin (全銀協) 120-byte fixed-record files for Kyosai.
//!
//! Pure library: no I/O, no async. Modules:
//! - [`kana`]: what a user types → Zengin half-width katakana, width checks;
//! - [`text`]: [`ZenginText`] (fields that can only hold allowed bytes) and
//!   [`Digits`] (zero-filled numeric fields);
//! - [`encoding`]: Shift_JIS via `encoding_rs`, and the direct JIS X 0201
//!   byte mapping used for record fields;
//! - [`debit`]: 預金口座振替 (種別コード 91) request/result writer and parser;
//! - [`transfer`]: 総合振込 (種別コード 21) writer;
//! - [`report`]: the problem report returned by parsers.
//!
//! Layout reference: `shared/domain/REFERENCE.md` §8.

pub mod debit;
pub mod encoding;
pub mod kana;
pub mod report;
pub mod text;
pub mod transfer;

pub use kana::{CharClass, KanaError, check_field_width, to_zengin_kana};
pub use report::{FileReport, Problem, ProblemCode};
pub use text::{Digits, ZenginText};
