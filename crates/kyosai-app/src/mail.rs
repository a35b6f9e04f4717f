//! Outgoing mail. Use cases put a [`Mail`] in the outbox inside their transaction; after commit,
//! [`deliver_pending`] sends it by SMTP (`KYOSAI_SMTP_URL`) or, in demo and development, writes
//! it as an `.eml` file into `<data dir>/outbox/`.

use kyosai_domain::{OutboxId, UserId};
use std::path::PathBuf;

use kyosai_domain::rules::Sourced;
use kyosai_store::inbox::NewNotice;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::letters::MailAttachment;
use crate::{App, AppError};

pub const OUTBOX_KIND: &str = "mail";
const FROM: &str = "Kyosai 共済オンライン <no-reply@kyosai.example.jp>";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Issued documents sent with the mail as PDFs (a letter reporting the event); rendered
    /// when the mail is sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<MailAttachment>,
}

/// Puts a mail to someone who is not (yet) a member in the outbox: the address check of a
/// sign-up, whose link must not outlive the mail in a portal inbox. Mail to members goes through
/// [`send_to_members`].
pub async fn enqueue(conn: &mut AnyConnection, mail: &Mail, now: &str) -> Result<(), AppError> {
    let payload = serde_json::to_string(mail).map_err(|e| AppError::Internal(e.into()))?;
    kyosai_store::outbox::enqueue(conn, OUTBOX_KIND, &payload, now).await?;
    Ok(())
}

/// The one way Kyosai writes to members: each mail goes into the outbox and a copy into the
/// member's portal inbox (お知らせ, issue #10), in the caller's transaction, so a member can read
/// in the portal everything they were sent, under the same reference the mail carries.
/// `mails`: (member id, mail).
pub async fn send_to_members(
    conn: &mut AnyConnection,
    mails: &[(UserId, Mail)],
    now: &str,
) -> Result<(), AppError> {
    // The outbox id is each mail's reference; the notices then go in with multi-row INSERTs.
    let payloads = mails
        .iter()
        .map(|(_, mail)| serde_json::to_string(mail))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Internal(e.into()))?;
    let ids = kyosai_store::outbox::enqueue_many(conn, OUTBOX_KIND, &payloads, now).await?;
    let notices: Vec<NewNotice> = mails
        .iter()
        .zip(ids)
        .map(|((member_id, mail), outbox_id)| NewNotice {
            member_id: *member_id,
            outbox_id,
            subject: &mail.subject,
            body: &mail.body,
        })
        .collect();
    kyosai_store::inbox::insert_many(conn, &notices, now).await?;
    Ok(())
}

/// A mail's reference (お問い合わせ番号), from its outbox id: printed in the mail's footer and shown
/// with its copy in the portal inbox.
pub fn reference(outbox_id: OutboxId) -> String {
    format!("M{outbox_id:08}")
}

/// Who sends Kyosai's mail and how to reach them (`rules/organization.toml`, embedded).
#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub name: Sourced<String>,
    pub contact_center: Sourced<String>,
    pub contact_hours: Sourced<String>,
    /// The section that issues certificates (printed on documents).
    pub certificate_section: Sourced<String>,
    /// The postal address printed on documents.
    pub address: Sourced<String>,
}

impl Organization {
    /// The embedded organisation details (checked by a test, so the binary cannot ship without
    /// them).
    pub fn embedded() -> Result<Organization, AppError> {
        toml::from_str(include_str!("../../../rules/organization.toml"))
            .map_err(|e| AppError::Internal(format!("rules/organization.toml: {e}").into()))
    }
}

/// What ends every mail: who sent it, how to reach them, and the mail's own reference (the
/// outbox id), which the contact center uses to find exactly this mail. Added when the mail is
/// sent, so the stored mail plus its id is what the member received.
pub fn footer(id: OutboxId) -> String {
    static ORGANIZATION: std::sync::LazyLock<Result<Organization, AppError>> =
        std::sync::LazyLock::new(Organization::embedded);
    let (name, contact, hours) = match &*ORGANIZATION {
        Ok(o) => (
            o.name.value.as_str(),
            o.contact_center.value.as_str(),
            o.contact_hours.value.as_str(),
        ),
        Err(_) => ("", "", ""),
    };
    let reference = reference(id);
    format!(
        "\n――――――――――――――――\n{name}\n{contact}（{hours}）\n\
         お問い合わせ番号：{reference}（お問い合わせの際にお伝えください）\n\
         このメールは送信専用です。ご返信いただいてもお答えできません。\n"
    )
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// `.eml` files in a folder (demo / development).
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// SMTP when a URL is given (`smtp://host:25`, `smtps://user:pass@host`), else the folder.
    pub fn from_config(smtp_url: Option<&str>, folder: PathBuf) -> Result<Mailer, AppError> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Mailer::Smtp(b.build()))
                .map_err(|e| AppError::Internal(format!("KYOSAI_SMTP_URL: {e}").into())),
            None => Ok(Mailer::Folder(folder)),
        }
    }

    /// Sends `mail` with its attachments (file name, PDF bytes).
    async fn send(
        &self,
        id: OutboxId,
        mail: &Mail,
        attachments: Vec<(String, Vec<u8>)>,
    ) -> Result<(), AppError> {
        let body = format!("{}{}", mail.body, footer(id));
        let builder = Message::builder()
            .from(
                FROM.parse()
                    .map_err(|e| AppError::Internal(format!("{e}").into()))?,
            )
            .to(mail
                .to
                .parse()
                .map_err(|e| AppError::Internal(format!("{e}").into()))?)
            .subject(mail.subject.clone());
        let message = if attachments.is_empty() {
            builder.header(ContentType::TEXT_PLAIN).body(body)
        } else {
            let pdf =
                ContentType::parse("application/pdf").map_err(|e| AppError::Internal(e.into()))?;
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
            for (name, bytes) in attachments {
                parts = parts.singlepart(Attachment::new(name).body(bytes, pdf.clone()));
            }
            builder.multipart(parts)
        }
        .map_err(|e| AppError::Internal(e.into()))?;
        match self {
            Mailer::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                let path = dir.join(format!("{id:08}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
            Mailer::Smtp(transport) => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
        }
        Ok(())
    }
}

/// How long a mail whose PDF is not rendered yet waits before it is looked at again while the
/// server is busy.
const BUSY_RETRY: jiff::SignedDuration = jiff::SignedDuration::from_secs(2);

/// The longest a mail waits for a quiet moment to render its PDF: after that it is rendered even
/// on a busy server.
const BUSY_MAX_WAIT: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

/// Sends every mail that is due; returns how many were sent. A failed send is retried after a
/// growing pause (`outbox::retry_delay`, at most an hour) and never given up, so a mail server
/// outage of any length loses nothing. Results are recorded in one
/// transaction per round, so delivery does not compete with member requests for the write lock
/// once per mail.
///
/// A mail that carries a PDF is rendered (10–15 ms of CPU) only when the server is idle (no
/// request since the last round, none being answered; probes do not count), for at most
/// [`BUSY_MAX_WAIT`]; until then it is put off by [`BUSY_RETRY`] without counting an attempt,
/// and mails behind it go out. A request arriving during a round puts off the rest of the
/// round's PDFs. The rendering thread's low priority was not enough: on a host shared with
/// PostgreSQL the kernel's per-session scheduling groups (autogroup) weigh a nice value only
/// against the server's own threads, and rendering took a fifth of the CPU from enrollments
/// (docs/BENCHMARKS.md, session 13).
pub async fn deliver_pending(app: &App, mailer: &Mailer) -> Result<usize, AppError> {
    let now = app.clock.now();
    let items = {
        let mut conn = app.store.read().await?;
        kyosai_store::outbox::due(&mut conn, &app.clock.now_text(), 500).await?
    };
    let (mut done, mut failed, mut postponed) = (Vec::new(), Vec::new(), Vec::new());
    let mut quiet = app.metrics.quiet_since_last_asked();
    for item in items.into_iter().filter(|i| i.kind == OUTBOX_KIND) {
        let outcome = match serde_json::from_str::<Mail>(&item.payload) {
            Ok(mail) if must_wait(app, &mut quiet, &mail, &item.created_at, now) => {
                postponed.push(item.id);
                continue;
            }
            Ok(mail) => match attachment_pdfs(app, &mail).await {
                Ok(files) => mailer.send(item.id, &mail, files).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(AppError::Internal(
                format!("undeliverable outbox item: {e}").into(),
            )),
        };
        match outcome {
            Ok(()) => done.push(item.id),
            Err(e) => {
                let wait = kyosai_store::outbox::retry_delay(item.attempts + 1);
                tracing::warn!(id = item.id.get(), error = %e, retry_in_s = wait.as_secs(), "mail delivery failed; will retry");
                failed.push((item.id, wait));
            }
        }
    }
    if !done.is_empty() || !failed.is_empty() || !postponed.is_empty() {
        let mut tx = app.store.begin_write().await?;
        kyosai_store::outbox::mark_done(tx.conn(), &done, &app.clock.now_text()).await?;
        kyosai_store::outbox::postpone(
            tx.conn(),
            &postponed,
            &kyosai_store::timestamp_text(now + BUSY_RETRY),
        )
        .await?;
        for (id, wait) in &failed {
            let at = now
                + jiff::SignedDuration::try_from(*wait)
                    .map_err(|e| AppError::Internal(e.into()))?;
            kyosai_store::outbox::mark_failed(tx.conn(), *id, &kyosai_store::timestamp_text(at))
                .await?;
        }
        tx.commit().await?;
    }
    Ok(done.len())
}

/// Whether a mail with PDFs waits: the server is not quiet (`quiet` turns false for the rest of
/// the round once a request is being answered) and the mail has not waited its longest yet. A
/// creation time that does not parse never holds a mail back.
fn must_wait(
    app: &App,
    quiet: &mut bool,
    mail: &Mail,
    created_at: &str,
    now: jiff::Timestamp,
) -> bool {
    if mail.attachments.is_empty() {
        return false;
    }
    *quiet = *quiet && app.metrics.in_flight() == 0;
    !*quiet
        && created_at
            .parse::<jiff::Timestamp>()
            .is_ok_and(|created| now.duration_since(created) < BUSY_MAX_WAIT)
}

/// The PDFs a mail carries, rendered from their stored documents.
async fn attachment_pdfs(app: &App, mail: &Mail) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let mut files = Vec::with_capacity(mail.attachments.len());
    for a in &mail.attachments {
        files.push((
            a.file_name.clone(),
            app.attachment_pdf(&a.document_number).await?,
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_ends_with_the_organisation_its_contact_and_its_reference() {
        let org = Organization::embedded().expect("rules/organization.toml");
        let f = footer(OutboxId::new(42));
        assert!(f.contains(&org.name.value));
        assert!(f.contains(&org.contact_center.value));
        assert!(f.contains("M00000042"));
    }
}
