//! Member documents (issue #13): the PDF of every letter and certificate, rendered with typst,
//! and the e-Tax XML (様式 TEG850) of the 小規模企業共済等掛金控除証明書 with an enveloped XML
//! signature. The crate is pure rendering: the figures come in as data from the ledger (through
//! `kyosai-app`), so what a document says is exactly what the portal shows.

pub mod etax;
pub mod pdf;
