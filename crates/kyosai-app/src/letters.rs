//! Every letter a member receives as an issued document (issue #13 item 4): 共済契約締結証書 at
//! enrollment, 契約内容確認書 after a change, 解除（解約）通知書 when a contract ends, 支払決定通知書 when
//! a payment is decided, and the March 掛金納付状況のお知らせ.
//!
//! A letter is issued in the transaction of the event it reports: it gets a document number
//! (checked at `/verify/{number}` like a certificate), its data is stored exactly as the PDF
//! prints it, and the mail that reports the event carries it as a PDF attachment, rendered when
//! the mail is sent (so no request waits for a page layout). The member downloads the same PDF
//! from the portal's documents page at any time.

use jiff::civil::Date;
use kyosai_docs::pdf::data::{
    Addressee, CancellationNotice, ChangedItem, ContractDetailsNotice, DocumentIdentity, Letter,
    LetterHead, Organization as Issuer,
};
use kyosai_domain::{ContractId, ContractNumber, Program, Yen};
use kyosai_store::contracts::{self, Contract};
use kyosai_store::documents::{self, Document, NewDocument};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::details_change::current_details;
use crate::documents::{DocumentKind, issued_on, new_document_number};
use crate::mail::Organization;
use crate::{Actor, App, AppError};

/// A document a mail carries as a PDF attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    pub document_number: String,
    /// e.g. `共済契約締結証書.pdf`.
    pub file_name: String,
}

/// One document of a contract, as the portal's documents page lists it.
#[derive(Debug, Clone)]
pub struct ListedDocument {
    pub document_number: String,
    /// `deduction_certificate`, `contract_certificate`, `contract_details`, `payment_status`,
    /// `cancellation_notice` or `payout_decision`.
    pub kind: String,
    /// The document's title as printed.
    pub title: String,
    pub issued_on: Date,
}

fn internal(what: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("letter: {what}").into())
}

/// Who issues documents, as printed in their footer (`rules/organization.toml`).
pub(crate) fn issuer() -> Result<Issuer, AppError> {
    let org = Organization::embedded()?;
    Ok(Issuer {
        name: org.name.value,
        section: org.certificate_section.value,
        address: org.address.value,
        contact_center: org.contact_center.value,
        contact_hours: org.contact_hours.value,
    })
}

/// The kind a letter is filed under.
pub(crate) fn kind_of(letter: &Letter) -> DocumentKind {
    match letter {
        Letter::ContractCertificate(_) => DocumentKind::ContractCertificate,
        Letter::ContractDetails(_) => DocumentKind::ContractDetails,
        Letter::PaymentStatus(_) => DocumentKind::PaymentStatus,
        Letter::Cancellation(_) => DocumentKind::CancellationNotice,
        Letter::PayoutDecision(_) => DocumentKind::PayoutDecision,
    }
}

/// A stored letter, as issued.
pub(crate) fn letter_of(doc: &Document) -> Result<Letter, AppError> {
    serde_json::from_str(&doc.figures)
        .map_err(|e| internal(format!("document {}: {e}", doc.document_number)))
}

/// The contract's debit account as letters print it: the newest mandate's.
pub(crate) async fn debit_account_text(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<String, AppError> {
    let mandates = contracts::mandates_for(conn, contract_id).await?;
    Ok(mandates
        .last()
        .map(crate::mandate_change::mandate_label)
        .unwrap_or_default())
}

/// Where a letter is sent: the holder's name and registered address.
pub(crate) fn addressee(
    name: &str,
    postcode: &str,
    prefecture: &str,
    city: &str,
    address_line: &str,
) -> Addressee {
    Addressee {
        name: name.to_string(),
        postcode: postcode.to_string(),
        address: format!("{prefecture}{city}{address_line}"),
    }
}

impl App {
    /// The head of a new letter about contract `contract_number` to `addressee`: a new document
    /// number, today's date, the address where a third party checks it.
    pub(crate) fn new_letter_head(
        &self,
        program: Program,
        contract_number: &str,
        addressee: Addressee,
    ) -> Result<LetterHead, AppError> {
        let document_number = new_document_number();
        Ok(LetterHead {
            identity: DocumentIdentity {
                verify_url: format!("{}/verify/{document_number}", self.public_url),
                document_number,
                issued_on: self.clock.today(),
            },
            organization: issuer()?,
            addressee,
            program,
            contract_number: contract_number
                .parse::<ContractNumber>()
                .map_err(internal)?,
            survey_url: None,
        })
    }

    /// The head of a new letter to the holder of `contract`, at the address registered now.
    pub(crate) async fn letter_head(
        &self,
        conn: &mut AnyConnection,
        contract: &Contract,
    ) -> Result<LetterHead, AppError> {
        let d = current_details(conn, contract).await?;
        self.new_letter_head(
            contract.program,
            &contract.number,
            addressee(
                &contract.holder_name,
                &d.postcode,
                &d.prefecture,
                &d.city,
                &d.address_line,
            ),
        )
    }

    /// 契約内容確認書: the contract as it stands after `change` (the procedure's name), with the
    /// items it changed; the caller sets what the contract row does not hold yet (a premium
    /// change takes effect in a later month).
    pub(crate) async fn contract_details_letter(
        &self,
        conn: &mut AnyConnection,
        contract: &Contract,
        change: &str,
        effective_from: Date,
        changes: Vec<ChangedItem>,
    ) -> Result<ContractDetailsNotice, AppError> {
        let paid = kyosai_store::paid::so_far(conn, contract.id).await?;
        Ok(ContractDetailsNotice {
            head: self.letter_head(conn, contract).await?,
            change: change.to_string(),
            effective_from,
            changes,
            contract_date: contract.start_date,
            monthly_premium: contract.monthly_premium,
            payment_frequency: contract.frequency,
            months_paid: u32::try_from(paid.months).unwrap_or(0),
            debit_account: debit_account_text(conn, contract.id).await?,
        })
    }

    /// 解除（解約）通知書 of a contract that ended on `cancelled_on`; `refund` (paid on
    /// `payment_date`) is printed when there is something to pay.
    #[expect(
        clippy::too_many_arguments,
        reason = "each is one printed item of the notice"
    )]
    pub(crate) async fn cancellation_letter(
        &self,
        conn: &mut AnyConnection,
        contract: &Contract,
        kind: &str,
        reason: &str,
        cancelled_on: Date,
        (months_paid, total_paid): (u32, Yen),
        (refund, payment_date): (Yen, Date),
    ) -> Result<Letter, AppError> {
        Ok(Letter::Cancellation(CancellationNotice {
            head: self.letter_head(conn, contract).await?,
            kind: kind.to_string(),
            cancelled_on,
            reason: reason.to_string(),
            months_paid,
            total_paid,
            refund: (refund > Yen::ZERO).then_some((refund, payment_date)),
        }))
    }

    /// Records `letter` (made with [`App::letter_head`]) about contract `contract_id` as an
    /// issued document for the event `period` names, in the caller's transaction, and returns
    /// the attachment its mail carries. The letter is checked as the PDF will print it (totals
    /// against their parts) before anything is stored.
    pub(crate) async fn issue_letter(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        period: &str,
        letter: &Letter,
    ) -> Result<MailAttachment, AppError> {
        let (title, _) = kyosai_docs::pdf::letter_summary(letter).map_err(internal)?;
        let head = letter.head();
        let json = serde_json::to_string(letter).map_err(internal)?;
        let new = NewDocument {
            document_number: &head.identity.document_number,
            kind: kind_of(letter).as_str(),
            contract_id,
            period,
            issued_at: &self.clock.now_text(),
            figures: &json,
            figures_sha256: &kyosai_store::sha256_hex(json.as_bytes()),
        };
        documents::insert(conn, &new)
            .await?
            .ok_or_else(|| internal("a letter with these figures was issued already"))?;
        Ok(MailAttachment {
            document_number: head.identity.document_number.clone(),
            file_name: format!("{title}.pdf"),
        })
    }

    /// The lines a mail carrying `attachment` ends with: what is attached and where the member
    /// finds it again.
    pub(crate) fn attachment_note(
        &self,
        attachment: &MailAttachment,
        contract_number: &ContractNumber,
    ) -> String {
        format!(
            "\n【添付書類】{}\nマイページの「書類」からも、いつでもダウンロードできます。\n{}/portal/contracts/{}/documents\n",
            attachment.file_name,
            self.public_url,
            contract_number.digits()
        )
    }

    /// Every document issued for a contract, newest first: for its member and staff.
    pub async fn contract_documents(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Vec<ListedDocument>, AppError> {
        let mut conn = self.store.read().await?;
        let contract = self.readable_contract(&mut conn, actor, number).await?;
        let docs = documents::for_contract(&mut conn, contract.id).await?;
        docs.iter()
            .map(|doc| {
                let kind = DocumentKind::parse(&doc.kind)
                    .ok_or_else(|| internal(format!("documents.kind {:?}", doc.kind)))?;
                let title = match kind {
                    DocumentKind::DeductionCertificate => {
                        let f = crate::documents::figures_of(&doc.figures)?;
                        format!("{}年分 {}", f.year, kind.name_ja())
                    }
                    _ => {
                        kyosai_docs::pdf::letter_summary(&letter_of(doc)?)
                            .map_err(internal)?
                            .0
                    }
                };
                Ok(ListedDocument {
                    document_number: doc.document_number.clone(),
                    kind: kind.as_str().to_string(),
                    title,
                    issued_on: issued_on(&doc.issued_at)?,
                })
            })
            .collect()
    }
}
