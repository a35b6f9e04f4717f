//! PDF documents rendered with typst (issue #13 items 2 and 4): the 小規模企業共済掛金控除証明書
//! and every letter a member receives. Typed data in ([`data`]), PDF bytes out.
//!
//! A [`Renderer`] is made once per process: it reads the fonts and parses the templates (typst
//! sources embedded at compile time), then renders any number of documents, from any number of
//! threads. Each page is A4, tagged and checked against PDF/UA-1 (typst refuses to write a page
//! that breaks it: no title, an image without alternative text…), carries its title in the
//! metadata, prints dates in 和暦 and Western form, and ends with the document number and a QR
//! code of the address where a third party checks it.

pub mod data;
pub mod fonts;
mod qr;
mod view;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::foundations::{Dict, IntoValue, Value};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use data::{
    CancellationNotice, ContractCertificate, ContractDetailsNotice, DeductionCertificate, Letter,
    PaymentStatusNotice, PayoutDecisionNotice, Report,
};

pub use view::letter_summary;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "font file {path} cannot be read ({source}): install Debian's fonts-morisawa-bizud-gothic \
         and fonts-morisawa-bizud-mincho, or point KYOSAI_FONT_DIR at a directory holding them"
    )]
    FontMissing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("font file {0} is not a font typst can read")]
    FontInvalid(PathBuf),
    /// The data does not add up (a total differs from its parts): nothing is printed.
    #[error("document data is inconsistent: {0}")]
    Inconsistent(String),
    /// A date before the eras a document prints (大正 onwards).
    #[error("date {0} has no Japanese era the documents print")]
    DateOutOfRange(jiff::civil::Date),
    #[error("QR code of {url}: {message}")]
    Qr { url: String, message: String },
    /// A template or the PDF export failed: a bug in a template, never the member's data.
    #[error("typst: {0}")]
    Typst(String),
}

/// The templates, embedded at build time; `common.typ` holds the letter layout they share.
const TEMPLATES: [(&str, &str); 8] = [
    ("common.typ", include_str!("templates/common.typ")),
    (
        "deduction_certificate.typ",
        include_str!("templates/deduction_certificate.typ"),
    ),
    (
        "contract_certificate.typ",
        include_str!("templates/contract_certificate.typ"),
    ),
    (
        "contract_details.typ",
        include_str!("templates/contract_details.typ"),
    ),
    (
        "payment_status.typ",
        include_str!("templates/payment_status.typ"),
    ),
    (
        "cancellation_notice.typ",
        include_str!("templates/cancellation_notice.typ"),
    ),
    (
        "payout_decision.typ",
        include_str!("templates/payout_decision.typ"),
    ),
    ("report.typ", include_str!("templates/report.typ")),
];

/// Fonts and parsed templates, shared by every render. `Send + Sync`: one per process.
pub struct Renderer {
    engine: TypstEngine<TypstTemplateCollection>,
    options: PdfOptions,
    /// Renders so far, to evict typst's memoised results every [`EVICT_EVERY`] renders.
    renders: AtomicUsize,
}

impl Renderer {
    /// Loads the fonts from `font_dir` (see [`fonts::default_dir`]) and the templates.
    pub fn new(font_dir: &Path) -> Result<Renderer, RenderError> {
        let fonts = fonts::load(font_dir)?;
        let engine = TypstEngine::builder()
            .fonts(fonts)
            .with_static_source_file_resolver(TEMPLATES)
            // Evicted here, every few renders (see `compile`), not by the engine after each.
            .comemo_evict_max_age(None)
            .build();
        let standards = PdfStandards::new(&[PdfStandard::Ua_1])
            .map_err(|e| RenderError::Typst(e.message().to_string()))?;
        let options = PdfOptions {
            standards,
            ..PdfOptions::default()
        };
        Ok(Renderer {
            engine,
            options,
            renders: AtomicUsize::new(0),
        })
    }

    /// 小規模企業共済掛金控除証明書 (REFERENCE §7.1).
    pub fn deduction_certificate(&self, c: &DeductionCertificate) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::deduction_certificate(c)?;
        self.render("deduction_certificate.typ", &c.head, &title, body)
    }

    /// 共済契約締結証書.
    pub fn contract_certificate(&self, c: &ContractCertificate) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::contract_certificate(c)?;
        self.render("contract_certificate.typ", &c.head, &title, body)
    }

    /// 契約内容確認書.
    pub fn contract_details(&self, n: &ContractDetailsNotice) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::contract_details(n)?;
        self.render("contract_details.typ", &n.head, &title, body)
    }

    /// 掛金納付状況（及び貸付限度額等）のお知らせ.
    pub fn payment_status(&self, n: &PaymentStatusNotice) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::payment_status(n)?;
        self.render("payment_status.typ", &n.head, &title, body)
    }

    /// 解除通知書 (小規模) / 解約通知書 (倒産防止).
    pub fn cancellation_notice(&self, n: &CancellationNotice) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::cancellation_notice(n)?;
        self.render("cancellation_notice.typ", &n.head, &title, body)
    }

    /// 支払決定通知書兼振込通知書.
    pub fn payout_decision(&self, n: &PayoutDecisionNotice) -> Result<Vec<u8>, RenderError> {
        let (title, body) = view::payout_decision(n)?;
        self.render("payout_decision.typ", &n.head, &title, body)
    }

    /// Any stored letter, with its own template.
    pub fn letter(&self, letter: &Letter) -> Result<Vec<u8>, RenderError> {
        match letter {
            Letter::ContractCertificate(l) => self.contract_certificate(l),
            Letter::ContractDetails(l) => self.contract_details(l),
            Letter::PaymentStatus(l) => self.payment_status(l),
            Letter::Cancellation(l) => self.cancellation_notice(l),
            Letter::PayoutDecision(l) => self.payout_decision(l),
        }
    }

    /// A report of tables (the scorecard for the committee). Not a letter: no addressee, no
    /// document number.
    pub fn report(&self, r: &Report) -> Result<Vec<u8>, RenderError> {
        let mut inputs = Dict::new();
        inputs.insert("report".into(), to_value(view::report(r)?)?);
        self.compile("report.typ", inputs)
    }

    fn render(
        &self,
        template: &str,
        head: &data::LetterHead,
        title: &str,
        body: serde_json::Value,
    ) -> Result<Vec<u8>, RenderError> {
        let mut inputs = Dict::new();
        inputs.insert("head".into(), to_value(view::head(head, title)?)?);
        inputs.insert("body".into(), to_value(body)?);
        inputs.insert(
            "qr".into(),
            qr::svg(&head.identity.verify_url)?.into_value(),
        );
        self.compile(template, inputs)
    }

    fn compile(&self, template: &str, inputs: Dict) -> Result<Vec<u8>, RenderError> {
        let document: PagedDocument = self
            .engine
            .compile_with_input(template, inputs)
            .output
            .map_err(|e| RenderError::Typst(e.to_string()))?;
        // Keep what typst memoised for the templates (the shared layout module, shaped labels)
        // across renders, and drop what no render used since the last eviction, so memory stays
        // flat over a mass issue. An eviction walks every memoised entry; once per render it
        // took 5% of a certificate's time, once per EVICT_EVERY renders it costs a tenth.
        if self.renders.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            comemo::evict(1);
        }
        typst_pdf::pdf(&document, &self.options).map_err(|diagnostics| {
            RenderError::Typst(
                diagnostics
                    .iter()
                    .map(|d| d.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

/// Renders between two evictions of typst's memoised results: a result unused for 10 to 20
/// renders is dropped (see [`Renderer::compile`]).
const EVICT_EVERY: usize = 10;

/// The view (strings, numbers, lists) as a typst value, read by the template as `sys.inputs`.
fn to_value(json: serde_json::Value) -> Result<Value, RenderError> {
    serde_json::from_value(json).map_err(|e| RenderError::Typst(format!("inputs: {e}")))
}
