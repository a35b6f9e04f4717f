//! The mass issue of the 控除証明書 for the autumn mailing (issue #13 item 5):
//! `kyosai documents issue --kind certificate --year YYYY --out DIR`.
//!
//! 1. **Issue:** every 小規模 contract with premiums collected in the year gets its certificate
//!    under a document number, exactly as the portal issues it (`App::issue_certificate`: the
//!    same figures keep their number, so a rerun issues nothing new).
//! 2. **Sort:** by postcode, then contract number; the print-and-mail contractor posts in
//!    batches by the postcode's first two digits (the mailing is staggered by region), so each
//!    batch is one folder `DIR/batch-NN/`.
//! 3. **Render:** the PDF and, when the amount is fixed and a key is configured, the signed e-Tax
//!    XML of each certificate, on every core. Each file is written under a temporary name and
//!    renamed when complete, so after a crash a rerun finds every finished file, keeps it (its
//!    hash is read back) and renders only the rest: no duplicates, nothing half written.
//! 4. **Index:** `DIR/index.csv`, one line per certificate in mailing order (batch, postcode,
//!    contract, document number, each file with its SHA-256), written last, under a temporary
//!    name too.

use kyosai_domain::DocumentId;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kyosai_docs::etax;
use kyosai_docs::pdf::Renderer;
use kyosai_store::documents;

use crate::documents::{CertificateFigures, figures_of, issued_on, teg850};
use crate::pdf_documents::certificate_data;
use crate::{Actor, App, AppError};

/// How the mass issue runs.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    pub year: i16,
    pub out: PathBuf,
    /// Rendering threads (default: every core).
    pub threads: usize,
}

/// What a mass issue did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueSummary {
    /// Certificates in the index (eligible contracts).
    pub certificates: usize,
    /// Of those, rendered by this run (the rest were complete from an earlier run).
    pub rendered: usize,
    /// Signed XML files among all certificates.
    pub xml_files: usize,
    /// Batch folders (postcode regions).
    pub batches: usize,
    pub index: PathBuf,
}

/// Progress as the CLI shows it: (phase, done, total).
pub type IssueProgress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// One certificate of the run, in mailing order once sorted.
struct Planned {
    postcode: String,
    contract_number: String,
    document_id: DocumentId,
    document_number: String,
}

/// One line of the index.
struct Written {
    pdf: String,
    pdf_sha256: String,
    xml: Option<(String, String)>,
    fresh: bool,
}

fn internal(what: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("mass issue: {what}").into())
}

/// `batch-10`: the postcode's first two digits (`batch-00` when none is registered).
fn batch_of(postcode: &str) -> String {
    let digits: String = postcode
        .chars()
        .filter(char::is_ascii_digit)
        .take(2)
        .collect();
    if digits.len() == 2 {
        format!("batch-{digits}")
    } else {
        "batch-00".to_string()
    }
}

/// Writes `bytes` to `path` through a temporary file renamed when complete.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| internal(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| internal(format!("{}: {e}", path.display())))
}

/// The SHA-256 of a finished file, or None when it is not there.
fn finished(path: &Path) -> Result<Option<String>, AppError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(kyosai_store::sha256_hex(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(internal(format!("{}: {e}", path.display()))),
    }
}

/// Everything a rendering thread needs for one certificate.
struct Job {
    planned: Planned,
    figures: CertificateFigures,
    issued_on: jiff::civil::Date,
}

impl App {
    /// Issues, renders and indexes every certificate of `options.year` into `options.out`
    /// (see the module documentation). Staff's operation, run from the command line.
    pub async fn issue_certificates(
        &self,
        options: &IssueOptions,
        progress: IssueProgress<'_>,
    ) -> Result<IssueSummary, AppError> {
        let system = Actor::system();
        std::fs::create_dir_all(&options.out)
            .map_err(|e| internal(format!("{}: {e}", options.out.display())))?;
        // 1. Issue (or find) each certificate.
        let numbers = {
            let mut conn = self.store.read().await?;
            documents::small_enterprise_with_collections(&mut conn, options.year).await?
        };
        // Several at a time: each reads the contract's history (waiting on the database as
        // much as computing), and only the short insert of a new number takes the write lock.
        let mut planned = Vec::with_capacity(numbers.len());
        let mut pending = numbers.iter().cloned();
        let mut running = tokio::task::JoinSet::new();
        let concurrency = options.threads.max(1) * 2;
        loop {
            while running.len() < concurrency {
                let Some(number) = pending.next() else { break };
                let app = self.clone();
                let system = system.clone();
                let year = options.year;
                running.spawn(async move {
                    let issued = app.issue_certificate(&system, &number, year).await;
                    (number, issued)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            match joined.map_err(internal)? {
                (number, Ok(issued)) => planned.push((issued, number)),
                // Collected money of the year that nets to nothing: no certificate.
                (_, Err(AppError::NotFound)) => {}
                (_, Err(e)) => return Err(e),
            }
            progress(
                "issue",
                numbers.len() - pending.len() - running.len(),
                numbers.len(),
            );
        }
        // Only the postcode and the number are kept for the sort: the figures of 1.66 million
        // certificates would not fit the memory budget, so each chunk reads its own below.
        let mut conn = self.store.read().await?;
        let mut plan = Vec::with_capacity(planned.len());
        for (issued, number) in planned {
            let doc = documents::by_number(&mut conn, &issued.document_number)
                .await?
                .ok_or_else(|| internal("an issued certificate vanished"))?;
            let figures = figures_of(&doc.figures)?;
            plan.push(Planned {
                postcode: figures.member_postcode,
                contract_number: number,
                document_id: doc.id,
                document_number: doc.document_number,
            });
        }
        drop(conn);
        // 2. Mailing order.
        plan.sort_by(|a, b| {
            (&a.postcode, &a.contract_number).cmp(&(&b.postcode, &b.contract_number))
        });
        let mut batches: Vec<String> = plan.iter().map(|p| batch_of(&p.postcode)).collect();
        batches.dedup();
        for b in &batches {
            std::fs::create_dir_all(options.out.join(b)).map_err(internal)?;
        }
        // 3. Render, in chunks: figures read for a chunk, rendered on every core, hashes
        //    recorded in one transaction.
        let renderer = self.pdf.get()?;
        let total = plan.len();
        let mut lines = Vec::with_capacity(total);
        let mut rendered = 0;
        let mut xml_files = 0;
        let mut plan = plan.into_iter().peekable();
        const CHUNK: usize = 512;
        while plan.peek().is_some() {
            let chunk: Vec<Planned> = plan.by_ref().take(CHUNK).collect();
            let mut jobs = Vec::with_capacity(chunk.len());
            {
                let mut conn = self.store.read().await?;
                for p in chunk {
                    let doc = documents::by_number(&mut conn, &p.document_number)
                        .await?
                        .ok_or_else(|| internal("an issued certificate vanished"))?;
                    jobs.push(Job {
                        figures: figures_of(&doc.figures)?,
                        issued_on: issued_on(&doc.issued_at)?,
                        planned: p,
                    });
                }
            }
            let (jobs, written) = {
                let renderer = Arc::clone(&renderer);
                let app = self.clone();
                let out = options.out.clone();
                let threads = options.threads.max(1);
                tokio::task::spawn_blocking(move || {
                    let written = render_chunk(&app, &renderer, &out, &jobs, threads);
                    (jobs, written)
                })
                .await
                .map_err(internal)?
            };
            let written = written?;
            progress("render", lines.len() + written.len(), total);
            let mut tx = self.store.begin_write().await?;
            for (job, w) in jobs.iter().zip(&written) {
                if w.fresh {
                    rendered += 1;
                }
                documents::record_rendering(
                    tx.conn(),
                    job.planned.document_id,
                    "pdf",
                    &w.pdf_sha256,
                )
                .await?;
                if let Some((_, sha)) = &w.xml {
                    xml_files += 1;
                    documents::record_rendering(tx.conn(), job.planned.document_id, "xml", sha)
                        .await?;
                }
            }
            tx.commit().await?;
            lines.extend(jobs.into_iter().map(|j| j.planned).zip(written));
        }
        // 4. The index, in mailing order.
        let mut csv = String::from(
            "batch,postcode,contract_number,document_number,pdf,pdf_sha256,xml,xml_sha256\n",
        );
        for (p, w) in &lines {
            let (xml, xml_sha) = w
                .xml
                .as_ref()
                .map_or(("", ""), |(f, s)| (f.as_str(), s.as_str()));
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                batch_of(&p.postcode),
                p.postcode,
                p.contract_number,
                p.document_number,
                w.pdf,
                w.pdf_sha256,
                xml,
                xml_sha
            ));
        }
        let index = options.out.join("index.csv");
        write_atomically(&index, csv.as_bytes())?;
        Ok(IssueSummary {
            certificates: lines.len(),
            rendered,
            xml_files,
            batches: batches.len(),
            index,
        })
    }
}

/// Renders a chunk on `threads` threads; a file already finished is kept (resume).
fn render_chunk(
    app: &App,
    renderer: &Renderer,
    out: &Path,
    jobs: &[Job],
    threads: usize,
) -> Result<Vec<Written>, AppError> {
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Written, AppError>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()).max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let result = render_one(app, renderer, out, job);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .map_err(|_| internal("a rendering thread panicked"))?
                .ok_or_else(|| internal("a certificate was not rendered"))?
        })
        .collect()
}

fn render_one(app: &App, renderer: &Renderer, out: &Path, job: &Job) -> Result<Written, AppError> {
    let p = &job.planned;
    let stem = format!("{}-{}-{}", p.postcode, p.contract_number, p.document_number);
    let dir = out.join(batch_of(&p.postcode));
    let pdf_name = format!("{stem}.pdf");
    let pdf_path = dir.join(&pdf_name);
    let mut fresh = false;
    let pdf_sha256 = match finished(&pdf_path)? {
        Some(sha) => sha,
        None => {
            let data = certificate_data(
                &job.figures,
                &p.document_number,
                job.issued_on,
                format!("{}/verify/{}", app.public_url, p.document_number),
            )?;
            let pdf = renderer
                .deduction_certificate(&data)
                .map_err(|e| internal(format!("{}: {e}", p.document_number)))?;
            write_atomically(&pdf_path, &pdf)?;
            fresh = true;
            kyosai_store::sha256_hex(&pdf)
        }
    };
    let xml = match (
        app.signing.as_deref(),
        teg850(&job.figures, &p.document_number, job.issued_on),
    ) {
        (Some(key), Some(data)) => {
            let xml_name = format!("{stem}.xml");
            let xml_path = dir.join(&xml_name);
            let sha = match finished(&xml_path)? {
                Some(sha) => sha,
                None => {
                    let xml = etax::render(&data, key)
                        .map_err(|e| internal(format!("{}: {e}", p.document_number)))?;
                    write_atomically(&xml_path, &xml)?;
                    fresh = true;
                    kyosai_store::sha256_hex(&xml)
                }
            };
            Some((format!("{}/{xml_name}", batch_of(&p.postcode)), sha))
        }
        _ => None,
    };
    Ok(Written {
        pdf: format!("{}/{pdf_name}", batch_of(&p.postcode)),
        pdf_sha256,
        xml,
        fresh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_the_postcode_region() {
        assert_eq!(batch_of("1000001"), "batch-10");
        assert_eq!(batch_of("530-0001"), "batch-53");
        assert_eq!(batch_of(""), "batch-00");
    }
}
