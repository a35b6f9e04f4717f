//! Issued documents as PDF (issue #13): the 控除証明書 rendered from the figures stored with its
//! document number, so the PDF says exactly what `/verify/{number}` and the e-Tax XML say, and
//! every letter rendered from its stored data. The
//! renderer (fonts and templates) is made once per process, on the first PDF asked for, and
//! the hash of each document's first PDF is recorded for verification.

use std::sync::{Arc, OnceLock};

use kyosai_docs::pdf::Renderer;
use kyosai_docs::pdf::data::{
    Addressee, DeductionCertificate, DocumentIdentity, LetterHead, MonthlyPremium, YearToDate,
};
use kyosai_domain::{ContractNumber, Program, YearMonth, Yen};
use kyosai_store::documents;

/// The report data the web builds for [`App::report_pdf`] (the web crate does not depend on the
/// renderer's crate).
pub use kyosai_docs::pdf::data::{Report, ReportSection};

use crate::documents::{CertificateFigures, DocumentKind, figures_of, issued_on};
use crate::letters::{issuer, letter_of};
use crate::{Actor, App, AppError};

/// The process's renderer, made on first use (the fonts are read once).
#[derive(Default)]
pub(crate) struct PdfRenderer(OnceLock<Result<Arc<Renderer>, String>>);

impl PdfRenderer {
    pub(crate) fn get(&self) -> Result<Arc<Renderer>, AppError> {
        self.0
            .get_or_init(|| {
                Renderer::new(&kyosai_docs::pdf::fonts::default_dir())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| AppError::Internal(format!("PDF renderer: {e}").into()))
    }
}

fn internal(what: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("certificate PDF: {what}").into())
}

/// The certificate as the renderer takes it, from the stored figures.
pub(crate) fn certificate_data(
    f: &CertificateFigures,
    document_number: &str,
    issued_on: jiff::civil::Date,
    verify_url: String,
) -> Result<DeductionCertificate, AppError> {
    // One line per month (a debit and a 前納 in the same month are added together).
    let mut by_month = f.by_month.clone();
    by_month.sort();
    let mut months: Vec<MonthlyPremium> = Vec::new();
    for (month, yen) in &by_month {
        let month: YearMonth = month.parse().map_err(internal)?;
        match months.last_mut() {
            Some(last) if last.month == month => {
                last.amount = last
                    .amount
                    .checked_add(Yen::new(*yen))
                    .ok_or_else(|| internal("overflow"))?;
            }
            _ => months.push(MonthlyPremium {
                month,
                amount: Yen::new(*yen),
            }),
        }
    }
    let paid_total = Yen::new(f.paid_yen);
    Ok(DeductionCertificate {
        head: LetterHead {
            identity: DocumentIdentity {
                document_number: document_number.to_string(),
                issued_on,
                verify_url,
            },
            organization: issuer()?,
            addressee: Addressee {
                name: f.member_name.clone(),
                postcode: f.member_postcode.clone(),
                address: f.member_address.clone(),
            },
            program: Program::SmallEnterprise,
            contract_number: f
                .contract_number
                .parse::<ContractNumber>()
                .map_err(internal)?,
            survey_url: None,
        },
        year: f.year,
        monthly_premium: Yen::new(f.monthly_premium_yen),
        months,
        paid_total,
        prepayment_applied: Yen::new(f.prepayment_applied_yen),
        prepayment_discount: Yen::new(f.prepayment_discount_yen),
        deductible: f.deductible_yen.map(Yen::new),
        year_to_date: f.expected_by_december_yen.map(|expected| YearToDate {
            as_of: issued_on,
            paid_so_far: paid_total,
            expected_by_december: Yen::new(expected),
        }),
    })
}

impl App {
    /// The PDF of an issued document (a certificate or a letter), for the member who holds the
    /// contract or staff; `NotFound` for anyone else or an unknown number. Certificates issued
    /// before the month breakdown was kept are `NotFound` too (issue the certificate again for a
    /// new number).
    pub async fn document_pdf(
        &self,
        actor: &Actor,
        document_number: &str,
    ) -> Result<Vec<u8>, AppError> {
        let doc = self.readable_document(actor, document_number).await?;
        self.stored_document_pdf(&doc, Urgency::Member).await
    }

    /// Renders a stored document as issued and records the hash of its first rendering (for
    /// `/verify`). No access check: the caller has one (the member's download) or is the mail
    /// delivery of the member's own letter.
    async fn stored_document_pdf(
        &self,
        doc: &documents::Document,
        urgency: Urgency,
    ) -> Result<Vec<u8>, AppError> {
        let renderer = self.pdf.get()?;
        let render: Box<dyn FnOnce() -> Result<Vec<u8>, kyosai_docs::pdf::RenderError> + Send> =
            if doc.kind == DocumentKind::DeductionCertificate.as_str() {
                let figures = figures_of(&doc.figures)?;
                if figures.by_month.is_empty() && figures.paid_yen != 0 {
                    return Err(AppError::NotFound);
                }
                let data = certificate_data(
                    &figures,
                    &doc.document_number,
                    issued_on(&doc.issued_at)?,
                    format!("{}/verify/{}", self.public_url, doc.document_number),
                )?;
                Box::new(move || renderer.deduction_certificate(&data))
            } else {
                let letter = letter_of(doc)?;
                Box::new(move || renderer.letter(&letter))
            };
        let pdf = match urgency {
            Urgency::Member => tokio::task::spawn_blocking(render)
                .await
                .map_err(internal)?,
            Urgency::Mail => crate::background::run(render).await?,
        }
        .map_err(internal)?;
        let mut tx = self.store.begin_write().await?;
        documents::record_rendering(tx.conn(), doc.id, "pdf", &kyosai_store::sha256_hex(&pdf))
            .await?;
        tx.commit().await?;
        Ok(pdf)
    }

    /// The PDF of each document a mail carries, by number (mail delivery), rendered at
    /// background priority ([`crate::background`]).
    pub(crate) async fn attachment_pdf(&self, document_number: &str) -> Result<Vec<u8>, AppError> {
        let doc = {
            let mut conn = self.store.read().await?;
            documents::by_number(&mut conn, document_number)
                .await?
                .ok_or_else(|| internal(format!("attachment {document_number} not issued")))?
        };
        self.stored_document_pdf(&doc, Urgency::Mail).await
    }
}

/// Who waits for a rendering: a member at the screen, or a mail in the outbox.
#[derive(Debug, Clone, Copy)]
enum Urgency {
    Member,
    Mail,
}

impl App {
    /// A report of tables as PDF (the scorecard for the committee): staff only.
    pub async fn report_pdf(&self, actor: &Actor, report: Report) -> Result<Vec<u8>, AppError> {
        crate::review::require_staff(actor)?;
        let renderer = self.pdf.get()?;
        tokio::task::spawn_blocking(move || renderer.report(&report))
            .await
            .map_err(internal)?
            .map_err(internal)
    }
}
