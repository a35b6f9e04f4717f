//! The staff screen of 納付書 payment files (REFERENCE §2.7; issue #10): the files imported so
//! far, the slips still open, and the same import as `kyosai payments import` from an upload —
//! checked whole first, refused with every problem and its line (and the refusal audited),
//! nothing posted then.

use kyosai_store::payment_slips::{self as store, PaymentImportRow};

use crate::arrears::PaymentImport;
use crate::billing::ImportError;
use crate::review::require_staff;
use crate::{Actor, App, AppError};

/// How many imports and open slips the screen lists.
const LISTED: i64 = 100;

/// A slip still waiting for its payment.
#[derive(Debug, Clone)]
pub struct OpenSlip {
    pub reference: String,
    pub contract_number: String,
    pub amount_yen: i64,
    pub issued_on: String,
    pub deadline: String,
}

/// What the screen shows.
#[derive(Debug, Clone)]
pub struct PaymentFiles {
    pub imports: Vec<PaymentImportRow>,
    pub open_slips: Vec<OpenSlip>,
}

impl App {
    /// The imported payment files (newest first) and the open slips (earliest deadline first).
    pub async fn payment_files(&self, actor: &Actor) -> Result<PaymentFiles, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let imports = store::recent_imports(&mut conn, LISTED).await?;
        let open_slips = store::open_slips(&mut conn, LISTED)
            .await?
            .into_iter()
            .map(|(s, contract_number)| OpenSlip {
                reference: s.reference,
                contract_number,
                amount_yen: s.amount,
                issued_on: s.issued_on,
                deadline: s.deadline,
            })
            .collect();
        Ok(PaymentFiles {
            imports,
            open_slips,
        })
    }

    /// Imports an uploaded payment file as the CLI does, in the staff user's name; a refused
    /// file is audited with its problems.
    pub async fn import_payment_file_by_staff(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<PaymentImport, ImportError> {
        require_staff(actor)?;
        let who = actor.audit_name();
        let result = self.import_payment_file(file_name, bytes, &who).await;
        if let Err(ImportError::Refused(r)) = &result {
            self.audit_refused_file(&who, "payments.file_refused", "payment_file", bytes, r)
                .await?;
        }
        result
    }
}
