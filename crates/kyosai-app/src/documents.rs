//! Issued documents and their numbers (issue #13): every 掛金控除証明書 a member downloads carries
//! a document number that a third party (a tax office, a bank) can check at
//! `/verify/{document_number}`, and its signed e-Tax XML (様式 TEG850, REFERENCE §7.2).
//!
//! A number stands for exactly what the document said when it was issued: asking again with
//! unchanged figures gives the same number; changed figures (a premium collected since, a new
//! address) give a new number, and the old one still verifies as what it said then.

use kyosai_domain::DocumentId;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use kyosai_docs::etax::{self, SigningKey, Teg850};
use kyosai_store::documents::{self, NewDocument};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::certificates::SmallEnterpriseCertificate;
use crate::clock::jst;
use crate::details_change::current_details;
use crate::mail::Organization;
use crate::{Actor, App, AppError};

/// What kind of document a number was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 小規模企業共済掛金控除証明書 of one calendar year.
    DeductionCertificate,
    /// 共済契約締結証書, when a contract is concluded.
    ContractCertificate,
    /// 契約内容確認書, after a change of the contract.
    ContractDetails,
    /// 掛金納付状況（及び貸付限度額等）のお知らせ, every March.
    PaymentStatus,
    /// 解除通知書 / 解約通知書, when a contract ends.
    CancellationNotice,
    /// 支払決定通知書兼振込通知書, when a payment is decided.
    PayoutDecision,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        Self::DeductionCertificate,
        Self::ContractCertificate,
        Self::ContractDetails,
        Self::PaymentStatus,
        Self::CancellationNotice,
        Self::PayoutDecision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeductionCertificate => "deduction_certificate",
            Self::ContractCertificate => "contract_certificate",
            Self::ContractDetails => "contract_details",
            Self::PaymentStatus => "payment_status",
            Self::CancellationNotice => "cancellation_notice",
            Self::PayoutDecision => "payout_decision",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The document's name in general (a letter's own title may say more, e.g. 解約通知書 for
    /// 倒産防止).
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::DeductionCertificate => "小規模企業共済掛金控除証明書",
            Self::ContractCertificate => "共済契約締結証書",
            Self::ContractDetails => "契約内容確認書",
            Self::PaymentStatus => "掛金納付状況のお知らせ",
            Self::CancellationNotice => "共済契約解除（解約）通知書",
            Self::PayoutDecision => "支払決定通知書兼振込通知書",
        }
    }
}

/// What a deduction certificate says (stored as the document's figures, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFigures {
    pub year: i16,
    pub contract_number: String,
    pub member_name: String,
    pub member_address: String,
    pub monthly_premium_yen: i64,
    pub months_paid_in_year: i64,
    pub paid_yen: i64,
    pub prepayment_applied_yen: i64,
    pub prepayment_discount_yen: i64,
    pub expected_by_december_yen: Option<i64>,
    /// None: printed as "****" (REFERENCE §7.1); such a certificate has no electronic form.
    pub deductible_yen: Option<i64>,
    pub issuer_name: String,
    /// The member's postcode as registered (the PDF's address block); empty in documents issued
    /// before it was kept.
    #[serde(default)]
    pub member_postcode: String,
    /// Money collected month by month in the year (`YYYY-MM`, yen), as the PDF prints it;
    /// empty in documents issued before it was kept.
    #[serde(default)]
    pub by_month: Vec<(String, i64)>,
}

/// A certificate with the number it was issued under.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub certificate: SmallEnterpriseCertificate,
    pub document_number: String,
    pub issued_on: Date,
    /// Whether the signed e-Tax XML can be downloaded: the amount is fixed and this server has
    /// a signing key.
    pub xml_available: bool,
}

/// An issued certificate with the figures stored under its number.
pub(crate) struct IssuedDocument {
    pub(crate) certificate: IssuedCertificate,
    pub(crate) document_id: DocumentId,
    /// Exactly the stored figures (the number is found by their hash).
    pub(crate) figures: CertificateFigures,
    /// Issued by this call (a new number), not found.
    pub(crate) fresh: bool,
}

/// What `/verify/{document_number}` shows: what the document says, without the member's name
/// or address.
#[derive(Debug, Clone)]
pub struct VerifiedDocument {
    pub document_number: String,
    pub kind: DocumentKind,
    pub issued_on: Date,
    pub contract_number: String,
    pub content: VerifiedContent,
    /// SHA-256 (hex) of the signed XML as issued, when it has one.
    pub xml_sha256: Option<String>,
    /// SHA-256 (hex) of the PDF as first rendered, once it has been.
    pub pdf_sha256: Option<String>,
}

/// The figures a verified document carries.
#[derive(Debug, Clone)]
pub enum VerifiedContent {
    Certificate(CertifiedFigures),
    /// A letter: its title and (label, value) lines as the letter prints them.
    Letter {
        title: String,
        lines: Vec<(String, String)>,
    },
}

/// What a deduction certificate certifies.
#[derive(Debug, Clone)]
pub struct CertifiedFigures {
    pub year: i16,
    pub monthly_premium_yen: i64,
    pub months_paid_in_year: i64,
    pub paid_yen: i64,
    pub expected_by_december_yen: Option<i64>,
    pub prepayment_discount_yen: i64,
    pub deductible_yen: Option<i64>,
}

/// A new document number (certificates and letters alike): "KD-" and 12 characters of Crockford base32 (60 random bits), so a
/// number cannot be guessed from another one on the public verification page.
pub(crate) fn new_document_number() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits: u64 = rand::rng().random();
    let mut chars = String::with_capacity(17);
    chars.push_str("KD");
    for i in 0..12 {
        if i % 4 == 0 {
            chars.push('-');
        }
        chars.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    chars
}

/// The number as a member may type it: upper case, Crockford's look-alikes (O, I, L) read as
/// digits. None when it cannot be a document number.
pub fn normalize_document_number(input: &str) -> Option<String> {
    let s: String = input
        .trim()
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    let ok = s.len() == 17
        && s.starts_with("KD-")
        && s.char_indices().skip(2).all(|(i, c)| {
            if (i - 2) % 5 == 0 {
                c == '-'
            } else {
                c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))
            }
        });
    ok.then_some(s)
}

pub(crate) fn issued_on(issued_at: &str) -> Result<Date, AppError> {
    let ts: Timestamp = issued_at.parse().map_err(|e| {
        AppError::Internal(format!("documents.issued_at {issued_at:?}: {e}").into())
    })?;
    Ok(jst().to_datetime(ts).date())
}

pub(crate) fn figures_of(json: &str) -> Result<CertificateFigures, AppError> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("documents.figures: {e}").into()))
}

pub(crate) fn teg850(
    f: &CertificateFigures,
    document_number: &str,
    issued_on: Date,
) -> Option<Teg850> {
    Some(Teg850 {
        year: f.year,
        contract_number: f.contract_number.clone(),
        member_name: f.member_name.clone(),
        member_address: f.member_address.clone(),
        monthly_premium_yen: f.monthly_premium_yen,
        months_paid: f.months_paid_in_year,
        paid_yen: f.paid_yen,
        expected_by_december_yen: f.expected_by_december_yen,
        prepayment_discount_yen: f.prepayment_discount_yen,
        deductible_yen: f.deductible_yen?,
        issuer_name: f.issuer_name.clone(),
        issued_on,
        document_number: document_number.to_owned(),
    })
}

impl App {
    /// Sets the key that signs the e-Tax XML (the server's configured or demo key).
    pub fn with_signing_key(mut self, key: Arc<SigningKey>) -> Self {
        self.signing = Some(key);
        self
    }

    /// The certificate that verifies the XML, as PEM; None when this server signs nothing.
    pub fn signing_certificate_pem(&self) -> Option<String> {
        self.signing.as_ref().map(|k| k.certificate_pem())
    }

    /// The 控除証明書 of `number` for `year` with its document number: the same number while
    /// the figures are unchanged, a new one when they changed. `NotFound` as for the figures.
    pub async fn issue_certificate(
        &self,
        actor: &Actor,
        number: &str,
        year: i16,
    ) -> Result<IssuedCertificate, AppError> {
        let issued = self.issue_certificate_document(actor, number, year).await?;
        if issued.fresh && issued.certificate.xml_available {
            // The hash of the XML as issued, for /verify; recorded again (no-op) on download,
            // so a crash between the two writes loses nothing.
            self.render_xml(
                issued.document_id,
                &issued.figures,
                &issued.certificate.document_number,
                issued.certificate.issued_on,
            )
            .await?;
        }
        Ok(issued.certificate)
    }

    /// [`App::issue_certificate`] without signing the XML of a new number: the mass issue
    /// signs it once when it writes the file (and records its hash then), instead of twice.
    pub(crate) async fn issue_certificate_document(
        &self,
        actor: &Actor,
        number: &str,
        year: i16,
    ) -> Result<IssuedDocument, AppError> {
        let certificate = self
            .small_enterprise_certificate(actor, number, year)
            .await?;
        let mut conn = self.store.read().await?;
        let contract = self.readable_contract(&mut conn, actor, number).await?;
        let details = current_details(&mut conn, &contract).await?;
        drop(conn);
        let figures = CertificateFigures {
            year,
            contract_number: certificate.contract_number.clone(),
            member_name: certificate.holder_name.clone(),
            member_address: format!(
                "{}{}{}",
                details.prefecture, details.city, details.address_line
            ),
            monthly_premium_yen: certificate.monthly_premium_yen,
            months_paid_in_year: certificate.months_paid_in_year,
            paid_yen: certificate.paid_yen,
            prepayment_applied_yen: certificate.prepayment_applied_yen,
            prepayment_discount_yen: certificate.prepayment_discount_yen,
            expected_by_december_yen: certificate.expected_by_december_yen,
            deductible_yen: certificate.deductible_yen,
            issuer_name: Organization::embedded()?.name.value,
            member_postcode: details.postcode.clone(),
            by_month: certificate
                .by_month
                .iter()
                .map(|m| (m.month.to_string(), m.amount_yen))
                .collect(),
        };
        let json = serde_json::to_string(&figures)
            .map_err(|e| AppError::Internal(format!("certificate figures: {e}").into()))?;
        let figures_sha256 = kyosai_store::sha256_hex(json.as_bytes());
        let kind = DocumentKind::DeductionCertificate.as_str();
        let period = year.to_string();
        let mut tx = self.store.begin_write().await?;
        let existing =
            documents::find_same(tx.conn(), contract.id, kind, &period, &figures_sha256).await?;
        let (document_id, document_number, issued_at, fresh) = match existing {
            Some(d) => (d.id, d.document_number, d.issued_at, false),
            None => {
                let document_number = new_document_number();
                let issued_at = self.clock.now_text();
                let new = NewDocument {
                    document_number: &document_number,
                    kind,
                    contract_id: contract.id,
                    period: &period,
                    issued_at: &issued_at,
                    figures: &json,
                    figures_sha256: &figures_sha256,
                };
                match documents::insert(tx.conn(), &new).await? {
                    Some(id) => (id, document_number, issued_at, true),
                    // A concurrent request issued these figures first (and committed): its
                    // number stands.
                    None => {
                        let d = documents::find_same(
                            tx.conn(),
                            contract.id,
                            kind,
                            &period,
                            &figures_sha256,
                        )
                        .await?
                        .ok_or_else(|| AppError::Internal("a document vanished".into()))?;
                        (d.id, d.document_number, d.issued_at, false)
                    }
                }
            }
        };
        tx.commit().await?;
        let xml_available = figures.deductible_yen.is_some() && self.signing.is_some();
        Ok(IssuedDocument {
            certificate: IssuedCertificate {
                certificate,
                document_number,
                issued_on: issued_on(&issued_at)?,
                xml_available,
            },
            document_id,
            figures,
            fresh,
        })
    }

    /// Signs the XML of a document and records its hash if none is recorded yet.
    async fn render_xml(
        &self,
        document_id: DocumentId,
        figures: &CertificateFigures,
        document_number: &str,
        issued_on: Date,
    ) -> Result<Vec<u8>, AppError> {
        let key = self.signing.as_ref().ok_or(AppError::NotFound)?;
        let data = teg850(figures, document_number, issued_on).ok_or(AppError::NotFound)?;
        let xml = etax::render(&data, key)
            .map_err(|e| AppError::Internal(format!("TEG850 XML: {e}").into()))?;
        let mut tx = self.store.begin_write().await?;
        documents::record_rendering(
            tx.conn(),
            document_id,
            "xml",
            &kyosai_store::sha256_hex(&xml),
        )
        .await?;
        tx.commit().await?;
        Ok(xml)
    }

    /// The signed e-Tax XML of an issued certificate, for the member who holds the contract or
    /// staff; `NotFound` for anyone else, an unknown number, or a certificate without one.
    pub async fn certificate_xml(
        &self,
        actor: &Actor,
        document_number: &str,
    ) -> Result<Vec<u8>, AppError> {
        let doc = self.readable_document(actor, document_number).await?;
        if doc.kind != DocumentKind::DeductionCertificate.as_str() {
            return Err(AppError::NotFound);
        }
        self.render_xml(
            doc.id,
            &figures_of(&doc.figures)?,
            &doc.document_number,
            issued_on(&doc.issued_at)?,
        )
        .await
    }

    /// An issued document, for the member who holds its contract or staff; `NotFound` for
    /// anyone else or a number never issued.
    pub(crate) async fn readable_document(
        &self,
        actor: &Actor,
        document_number: &str,
    ) -> Result<documents::Document, AppError> {
        let number = normalize_document_number(document_number).ok_or(AppError::NotFound)?;
        let mut conn = self.store.read().await?;
        let doc = documents::by_number(&mut conn, &number)
            .await?
            .ok_or(AppError::NotFound)?;
        let contract = kyosai_store::contracts::get(&mut conn, doc.contract_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.readable_contract(&mut conn, actor, &contract.number)
            .await?;
        Ok(doc)
    }

    /// What the document of `document_number` says, for anyone holding the number; None when
    /// no such document was issued.
    pub async fn verify_document(
        &self,
        document_number: &str,
    ) -> Result<Option<VerifiedDocument>, AppError> {
        let Some(number) = normalize_document_number(document_number) else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        let Some(doc) = documents::by_number(&mut conn, &number).await? else {
            return Ok(None);
        };
        let renderings = documents::renderings(&mut conn, doc.id).await?;
        drop(conn);
        let kind = DocumentKind::parse(&doc.kind)
            .ok_or_else(|| AppError::Internal(format!("documents.kind {:?}", doc.kind).into()))?;
        let (contract_number, content) = match kind {
            DocumentKind::DeductionCertificate => {
                let f = figures_of(&doc.figures)?;
                (
                    f.contract_number,
                    VerifiedContent::Certificate(CertifiedFigures {
                        year: f.year,
                        monthly_premium_yen: f.monthly_premium_yen,
                        months_paid_in_year: f.months_paid_in_year,
                        paid_yen: f.paid_yen,
                        expected_by_december_yen: f.expected_by_december_yen,
                        prepayment_discount_yen: f.prepayment_discount_yen,
                        deductible_yen: f.deductible_yen,
                    }),
                )
            }
            _ => {
                let letter = crate::letters::letter_of(&doc)?;
                let (title, lines) = kyosai_docs::pdf::letter_summary(&letter)
                    .map_err(|e| AppError::Internal(format!("letter: {e}").into()))?;
                (
                    letter.head().contract_number.digits(),
                    VerifiedContent::Letter { title, lines },
                )
            }
        };
        let sha = |format: &str| {
            renderings
                .iter()
                .find(|(f, _)| f == format)
                .map(|(_, sha)| sha.clone())
        };
        Ok(Some(VerifiedDocument {
            document_number: doc.document_number.clone(),
            kind,
            issued_on: issued_on(&doc.issued_at)?,
            contract_number,
            content,
            xml_sha256: sha("xml"),
            pdf_sha256: sha("pdf"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_numbers_are_well_formed_and_typed_numbers_are_normalised() {
        for _ in 0..100 {
            let n = new_document_number();
            assert_eq!(normalize_document_number(&n).as_deref(), Some(n.as_str()));
        }
        assert_eq!(
            normalize_document_number(" kd-7q4m-2xkp-9hva ").as_deref(),
            Some("KD-7Q4M-2XKP-9HVA")
        );
        assert_eq!(
            normalize_document_number("KD-O0IL-0000-0000").as_deref(),
            Some("KD-0011-0000-0000")
        );
        assert_eq!(normalize_document_number("KD-7Q4M-2XKP-9HV"), None);
        assert_eq!(normalize_document_number("KD-7Q4M-2XKP-9HVU"), None);
        assert_eq!(normalize_document_number("../../etc/passwd"), None);
    }
}
