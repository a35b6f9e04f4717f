//! What staff see of payouts: every run with its files (downloadable, written again from the
//! recorded transfers and checked against the SHA-256 recorded when it was delivered) and the
//! exceptions (held payouts, with why they wait).

use kyosai_domain::PayoutRunId;
use std::collections::BTreeMap;

use kyosai_store::billing as bstore;
use kyosai_store::payouts::{self as store, Run, RunFile};

use super::member::PayoutView;
use super::run::{build_files, originators_of};
use crate::billing::internal;
use crate::review::require_staff;
use crate::{Actor, App, AppError};

/// A run and its files.
#[derive(Debug, Clone)]
pub struct RunWithFiles {
    pub run: Run,
    pub files: Vec<RunFile>,
}

/// A held payout with its contract number.
#[derive(Debug, Clone)]
pub struct HeldPayout {
    pub contract_number: String,
    pub payout: PayoutView,
}

/// A delivered file, written again.
#[derive(Debug, Clone)]
pub struct PayoutFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl App {
    /// Every payout run, newest first, with its files; staff only.
    pub async fn payout_runs(&self, actor: &Actor) -> Result<Vec<RunWithFiles>, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let mut out = Vec::new();
        for run in store::runs(&mut conn).await? {
            let files = store::run_files(&mut conn, run.id).await?;
            out.push(RunWithFiles { run, files });
        }
        Ok(out)
    }

    /// Held payouts, oldest first; staff only.
    pub async fn held_payouts(&self, actor: &Actor) -> Result<Vec<HeldPayout>, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let mut out = Vec::new();
        for p in store::held(&mut conn).await? {
            let (contract_number, _) = store::contract_of(&mut conn, p.contract_id).await?;
            out.push(HeldPayout {
                contract_number,
                payout: p.into(),
            });
        }
        Ok(out)
    }

    /// One file of a run, written again from its recorded transfers; refused (an internal
    /// error, logged) when the bytes no longer hash to what was recorded at delivery.
    pub async fn payout_run_file(
        &self,
        actor: &Actor,
        run_id: PayoutRunId,
        name: &str,
    ) -> Result<PayoutFile, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let run = store::run_by_id(&mut conn, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let recorded = store::run_files(&mut conn, run.id)
            .await?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or(AppError::NotFound)?;
        let originators: BTreeMap<String, bstore::Originator> = originators_of(&mut conn).await?;
        let lines = store::in_run(&mut conn, run.id).await?;
        let (_, _, bytes, _) = build_files(&lines, &originators, run.transfer_date, run.seq)?
            .into_iter()
            .find(|f| f.1 == name)
            .ok_or(AppError::NotFound)?;
        if kyosai_store::sha256_hex(&bytes) != recorded.sha256 {
            return Err(internal(format!(
                "{name}: written again with a different hash than recorded at delivery"
            )));
        }
        Ok(PayoutFile {
            name: recorded.name,
            bytes,
        })
    }
}
