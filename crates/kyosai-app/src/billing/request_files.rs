//! The Zengin 91 (口座振替) request files of a run, always rebuilt from the stored bill lines so
//! the same month with the same data gives byte-identical files; each file's digest is recorded
//! the first time and checked on every rewrite.

use std::path::{Path, PathBuf};

use kyosai_domain::Program;
use kyosai_store::billing::{self as store, FileContent, Originator};
use kyosai_store::loan_billing;
use kyosai_zengin::debit::RequestWriter;
use serde::Serialize;

use super::{Progress, RunOptions, internal};
use crate::zengin_files::{
    NameCache, Placed, debit_header, differs, place_file, write_options, zengin_date,
};
use crate::{App, AppError};

/// One file written by a run.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub name: String,
    pub path: PathBuf,
    pub records: i64,
    pub total_yen: i64,
    pub sha256: String,
}

impl App {
    /// Rebuilds every request file of a run from its bill lines and writes them to `out`.
    pub(super) async fn write_files(
        &self,
        run: &store::Run,
        program: Program,
        debit_date: jiff::civil::Date,
        out: &Path,
        opts: &RunOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Vec<WrittenFile>, AppError> {
        std::fs::create_dir_all(out).map_err(internal)?;
        let originators = {
            let mut conn = self.store.read().await?;
            store::originators(&mut conn, run.program.as_str()).await?
        };
        let date = zengin_date(debit_date)?;
        let mut names = NameCache::default();
        let mut written = Vec::new();
        for o in &originators {
            let header = debit_header(o, date)?;
            let options = write_options(o);
            let mut seq = 0i64;
            // The premiums' files first, then the loans' (their own customer numbers), numbered
            // on from them.
            for content in [FileContent::Premiums, FileContent::Loans] {
                let mut after = 0i64;
                let mut current: Option<(RequestWriter, i64, i64, i64)> = None;
                loop {
                    let page = {
                        let mut conn = self.store.read().await?;
                        match content {
                            FileContent::Premiums => {
                                store::file_lines(&mut conn, run.id, o.id, after, 50_000).await?
                            }
                            FileContent::Loans => {
                                loan_billing::file_lines(&mut conn, run.id, o.id, after, 50_000)
                                    .await?
                            }
                        }
                    };
                    let Some(last) = page.last() else { break };
                    after = last.id;
                    for l in &page {
                        if current
                            .as_ref()
                            .is_some_and(|(w, ..)| w.len() >= kyosai_zengin::debit::MAX_RECORDS)
                            && let Some(done) = current.take()
                        {
                            seq += 1;
                            written.push(
                                self.finish_file(
                                    run,
                                    program,
                                    o,
                                    (seq, content),
                                    done,
                                    out,
                                    progress,
                                )
                                .await?,
                            );
                            if opts.crash_after_files == Some(written.len()) {
                                return Err(internal("simulated crash while writing files"));
                            }
                        }
                        let (w, _, last_id, total) = match current.as_mut() {
                            Some(c) => c,
                            None => current.insert((
                                RequestWriter::new(&header, &options, 100_000).map_err(internal)?,
                                l.id,
                                l.id,
                                0,
                            )),
                        };
                        w.push(&names.record(l, content)?).map_err(internal)?;
                        *last_id = l.id;
                        *total += l.amount;
                    }
                }
                if let Some(done) = current.take() {
                    seq += 1;
                    written.push(
                        self.finish_file(run, program, o, (seq, content), done, out, progress)
                            .await?,
                    );
                    if opts.crash_after_files == Some(written.len()) {
                        return Err(internal("simulated crash while writing files"));
                    }
                }
            }
        }
        Ok(written)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per part of the request file header"
    )]
    async fn finish_file(
        &self,
        run: &store::Run,
        program: Program,
        o: &Originator,
        (seq, content): (i64, FileContent),
        (writer, first, last, total): (RequestWriter, i64, i64, i64),
        out: &Path,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<WrittenFile, AppError> {
        let records = writer.len();
        let bytes = writer.finish();
        let name = format!(
            "KYOSAI91_{}_{}_{}_{:03}{}.dat",
            program.as_str(),
            run.month.to_string().replace('-', ""),
            o.code,
            seq,
            match content {
                FileContent::Premiums => "",
                FileContent::Loans => "_loans",
            }
        );
        // A file recorded for this place must be rebuilt byte for byte; anything else may
        // replace a file the bank already has.
        {
            let mut conn = self.store.read().await?;
            if store::files(&mut conn, run.id).await?.iter().any(|f| {
                f.originator_id == o.id
                    && f.seq == seq
                    && f.sha256 != kyosai_store::sha256_hex(&bytes)
            }) {
                return Err(differs(&name));
            }
        }
        let Placed { path, sha256: sha } = place_file(out, &name, &bytes)?;
        let row = store::FileRow {
            run_id: run.id,
            originator_id: o.id,
            seq,
            content,
            name: name.clone(),
            first_line_id: first,
            last_line_id: last,
            record_count: records as i64,
            total_yen: total,
            sha256: sha.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        store::upsert_file(tx.conn(), &row, &self.clock.now_text()).await?;
        tx.commit().await?;
        progress(Progress::File {
            name: name.clone(),
            records,
        });
        Ok(WrittenFile {
            name,
            path,
            records: records as i64,
            total_yen: total,
            sha256: sha,
        })
    }
}
