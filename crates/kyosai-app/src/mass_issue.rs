//! The mass issue of the 控除証明書 for the autumn mailing (issue #13 item 5):
//! `kyosai documents issue --kind certificate --year YYYY --out DIR`.
//!
//! 1. **Issue:** every 小規模 contract with premiums collected in the year gets its certificate
//!    under a document number, exactly as the portal issues it (`App::issue_certificate`: the
//!    same figures keep their number, so a rerun issues nothing new).
//! 2. **Render**, while the issuing goes on: the PDF and, when the amount is fixed and a key is
//!    configured, the signed e-Tax XML of each certificate, on every core, into the folder of
//!    its batch: the print-and-mail contractor posts in batches by the postcode's first two
//!    digits (the mailing is staggered by region), so each batch is one folder
//!    `DIR/batch-NN/`. Each file is written under a temporary name and renamed when complete,
//!    so after a crash a rerun finds every finished file, keeps it (its hash is read back) and
//!    renders only the rest: no duplicates, nothing half written.
//! 3. **Sort:** by postcode, then contract number: the mailing order.
//! 4. **Index:** `DIR/index.csv`, one line per certificate in mailing order (batch, postcode,
//!    contract, document number, each file with its SHA-256), written last, under a temporary
//!    name too.

use kyosai_domain::DocumentId;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyosai_docs::etax;
use kyosai_docs::pdf::Renderer;
use kyosai_store::documents;

use crate::documents::{CertificateFigures, teg850};
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
        std::fs::create_dir_all(&options.out)
            .map_err(|e| internal(format!("{}: {e}", options.out.display())))?;
        let numbers = {
            let mut conn = self.store.read().await?;
            documents::small_enterprise_with_collections(&mut conn, options.year).await?
        };
        // Issuing and rendering overlap: issuing waits on the database about a third of the
        // time, which the rendering threads fill. Rendering needs no order (each file's name
        // and folder come from its own postcode), so certificates are rendered as they are
        // issued and only the index is sorted, at the end.
        let renderer = self.pdf.get()?;
        let (job_tx, job_rx) = tokio::sync::mpsc::channel::<Job>(RENDER_QUEUE);
        let job_rx = Arc::new(std::sync::Mutex::new(job_rx));
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
        let workers: Vec<_> = (0..options.threads.max(1))
            .map(|_| {
                let (jobs, done) = (Arc::clone(&job_rx), done_tx.clone());
                let (app, renderer) = (self.clone(), Arc::clone(&renderer));
                let out = options.out.clone();
                std::thread::spawn(move || render_jobs(&app, &renderer, &out, &jobs, &done))
            })
            .collect();
        drop(done_tx);
        let outcome = tokio::try_join!(
            self.issue_all(options, &numbers, job_tx, progress),
            self.record_all(done_rx, numbers.len(), progress),
        );
        // Every worker has stopped once both sides are done (the job queue is closed).
        let joined =
            tokio::task::spawn_blocking(move || workers.into_iter().all(|w| w.join().is_ok()))
                .await
                .map_err(internal)?;
        let (batches, mut lines) = outcome?;
        if !joined {
            return Err(internal("a rendering thread panicked"));
        }
        // The index, in mailing order: by postcode, then contract number.
        lines.sort_by(|(a, _), (b, _)| {
            (&a.postcode, &a.contract_number).cmp(&(&b.postcode, &b.contract_number))
        });
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
            rendered: lines.iter().filter(|(_, w)| w.fresh).count(),
            xml_files: lines.iter().filter(|(_, w)| w.xml.is_some()).count(),
            batches,
            index,
        })
    }

    /// Issues (or finds) each contract's certificate, several at a time (each reads the
    /// contract's history, waiting on the database as much as computing; only the short
    /// insert of a new number takes the write lock), and queues it for rendering. Returns the
    /// number of batch folders.
    async fn issue_all(
        &self,
        options: &IssueOptions,
        numbers: &[String],
        jobs: tokio::sync::mpsc::Sender<Job>,
        progress: IssueProgress<'_>,
    ) -> Result<usize, AppError> {
        let system = Actor::system();
        let mut batches = HashSet::new();
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
                    let issued = app.issue_certificate_document(&system, &number, year).await;
                    (number, issued)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            match joined.map_err(internal)? {
                (number, Ok(issued)) => {
                    let postcode = issued.figures.member_postcode.clone();
                    let batch = batch_of(&postcode);
                    if !batches.contains(&batch) {
                        std::fs::create_dir_all(options.out.join(&batch)).map_err(internal)?;
                        batches.insert(batch);
                    }
                    let job = Job {
                        planned: Planned {
                            postcode,
                            contract_number: number,
                            document_id: issued.document_id,
                            document_number: issued.certificate.document_number,
                        },
                        issued_on: issued.certificate.issued_on,
                        figures: issued.figures,
                    };
                    jobs.send(job)
                        .await
                        .map_err(|_| internal("the rendering threads stopped"))?;
                }
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
        Ok(batches.len())
    }

    /// Records the hashes of the rendered files, [`RECORD_CHUNK`] to a transaction, until the
    /// rendering threads stop. Returns the index lines, unsorted.
    async fn record_all(
        &self,
        mut done: tokio::sync::mpsc::UnboundedReceiver<(Planned, Result<Written, AppError>)>,
        at_most: usize,
        progress: IssueProgress<'_>,
    ) -> Result<Vec<(Planned, Written)>, AppError> {
        let mut lines: Vec<(Planned, Written)> = Vec::with_capacity(at_most);
        let mut recorded = 0;
        while let Some((planned, written)) = done.recv().await {
            lines.push((planned, written?));
            if lines.len() - recorded == RECORD_CHUNK {
                self.record_renderings(&lines[recorded..]).await?;
                recorded = lines.len();
                progress("render", recorded, at_most);
            }
        }
        self.record_renderings(&lines[recorded..]).await?;
        progress("render", lines.len(), lines.len());
        Ok(lines)
    }

    async fn record_renderings(&self, lines: &[(Planned, Written)]) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        for (p, w) in lines {
            documents::record_rendering(tx.conn(), p.document_id, "pdf", &w.pdf_sha256).await?;
            if let Some((_, sha)) = &w.xml {
                documents::record_rendering(tx.conn(), p.document_id, "xml", sha).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Certificates issued and waiting for a rendering thread: enough to keep the threads busy
/// while the issuing side waits on the database, few enough to hold no memory.
const RENDER_QUEUE: usize = 64;

/// Rendered certificates whose hashes are recorded in one transaction.
const RECORD_CHUNK: usize = 512;

/// A rendering thread: takes queued certificates until the queue is closed and empty, and
/// hands each result back (a file already finished is kept: resume).
fn render_jobs(
    app: &App,
    renderer: &Renderer,
    out: &Path,
    jobs: &std::sync::Mutex<tokio::sync::mpsc::Receiver<Job>>,
    done: &tokio::sync::mpsc::UnboundedSender<(Planned, Result<Written, AppError>)>,
) {
    loop {
        let job = match jobs.lock() {
            Ok(mut jobs) => jobs.blocking_recv(),
            Err(_) => None,
        };
        let Some(job) = job else { break };
        let result = render_one(app, renderer, out, &job);
        if done.send((job.planned, result)).is_err() {
            break;
        }
    }
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
