//! The procedure framework: one way to run any member procedure (手続き).
//!
//! Every procedure — enrollment, a debit account change, and the premium changes, cancellations,
//! claims and loans to come — goes through the same steps, so each is recorded, checked, audited
//! and mailed the same way:
//!
//! 1. **parse** the submitted form into typed input (an error stops here; nothing is stored);
//! 2. in one write transaction, find the **subject** (the member or contract the procedure is
//!    about) and check that the actor may act on it;
//! 3. **check** the input against the rule set in force: any failed check refuses the form with
//!    field errors (nothing stored); otherwise the application is stored with its checks, and
//! 4. when every check passed it is **completed** in the same transaction, else it waits in the
//!    staff queue, where [`App::approve`] completes it later with the same `complete` step;
//! 5. the audit row and the member's mail are written in that transaction too, and an
//!    `Idempotency-Key` answer is stored there as well, so a retried request gets the first answer
//!    and two concurrent retries never make two applications.
//!
//! A procedure plugs in by implementing [`ProcedureRules`]; the channel (online, paper, agency)
//! is derived from who acts ([`Actor::channel`]), never passed by the caller.

use std::sync::{Arc, Mutex};

use kyosai_domain::procedure::{Assessment, Decision};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::{
    AgencyId, ApplicationId, ApplicationStatus, Channel, ContractId, ContractStatus, PaperFormId,
    Procedure, Program, UserId,
};
use kyosai_store::applications::{self, Application};
use kyosai_store::contracts::{self, Contract};
use kyosai_store::{WriteTx, audit, idempotency, sha256_hex, users};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::AnyConnection;

use crate::letters::MailAttachment;
use crate::mail::{self, Mail};
use crate::metrics::ProcedureOutcome;
use crate::{Actor, App, AppError, Role};
use kyosai_docs::pdf::data::Letter;

/// Who or what a procedure is about, found (and authorised) inside the write transaction.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub program: Program,
    pub member_id: UserId,
    /// The contract a maintenance procedure changes; None for an enrollment.
    pub contract_id: Option<ContractId>,
    /// Identifies the person across accounts (kept with the application for duplicate checks).
    pub person_key: String,
    /// The name mails greet.
    pub holder_name: String,
}

/// A stored application, as the completing step and the mails see it.
#[derive(Debug)]
pub(crate) struct Filed {
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    pub rules: Arc<RuleSet>,
    /// The audit name of the actor (the member, or the staff user who decided).
    pub actor: String,
    pub now: String,
    /// The procedure's audit rows, appended together when it ends ([`Filed::audit`]).
    audits: Mutex<Vec<PendingAudit>>,
}

/// An audit row a procedure recorded, not yet appended to the chain.
#[derive(Debug)]
struct PendingAudit {
    action: String,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Filed {
    fn new(
        application_id: ApplicationId,
        status: ApplicationStatus,
        rules: Arc<RuleSet>,
        actor: String,
        now: String,
    ) -> Filed {
        Filed {
            application_id,
            status,
            rules,
            actor,
            now,
            audits: Mutex::default(),
        }
    }

    /// Records an audit row of this procedure (by its actor, at its time). The runner appends
    /// the procedure's rows together as its last statements before the commit: appending locks
    /// the chain's head until the transaction ends, which on PostgreSQL every concurrent
    /// procedure waits for, so it is held for as short a time as possible.
    pub fn audit(
        &self,
        action: &str,
        target: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) {
        self.audits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(PendingAudit {
                action: action.to_string(),
                target: target.to_string(),
                before: before.cloned(),
                after: after.cloned(),
            });
    }

    /// Appends the recorded audit rows to the chain, in the order they were recorded.
    async fn append_audits(&self, app: &App, conn: &mut AnyConnection) -> Result<(), AppError> {
        let pending = std::mem::take(
            &mut *self
                .audits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let entries: Vec<audit::Entry<'_>> = pending
            .iter()
            .map(|a| audit::Entry {
                actor: &self.actor,
                action: &a.action,
                target: &a.target,
                before: a.before.as_ref(),
                after: a.after.as_ref(),
                at: &self.now,
            })
            .collect();
        audit::append_all(conn, app.store.audit_key(), &entries).await?;
        Ok(())
    }
}

/// What checking a submission found.
pub(crate) enum Checked<A> {
    /// The checks ran (they may have failed: the runner then refuses the form).
    Assessed(Assessment),
    /// The submission asks for what is already the case (a double submit): nothing is stored
    /// and this is the answer.
    Unchanged(A),
}

/// One procedure's part: how its form is parsed and checked, what completing it does, what the
/// caller gets back and what the member is told. Everything else is the runner's.
pub(crate) trait ProcedureRules {
    const PROCEDURE: Procedure;
    /// How the caller names the subject (a member id, a contract number).
    type Target: ?Sized + Sync;
    /// The form as submitted; stored with the application so staff see what was sent and an
    /// approval works on exactly that.
    type Form: Serialize + DeserializeOwned + Sync;
    type Input: Send + Sync;
    /// What completing produced (a contract, a new mandate).
    type Done: Send;
    /// What the caller gets back (also the stored `Idempotency-Key` answer).
    type Answer: Serialize + Send;

    fn parse(form: &Self::Form) -> Result<Self::Input, AppError>;

    /// The subject named by the caller, if the actor may act on it (else NotFound/Forbidden).
    async fn subject(
        app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        target: &Self::Target,
        input: &Self::Input,
    ) -> Result<Subject, AppError>;

    /// The subject of an application waiting in the staff queue: the contract it was filed for
    /// (every maintenance procedure); enrollment, which has no contract yet, says its own.
    async fn stored_subject(
        _app: &App,
        conn: &mut AnyConnection,
        application: &Application,
        _input: &Self::Input,
    ) -> Result<Subject, AppError> {
        stored_contract_subject(conn, application).await
    }

    /// The automatic checks, against the rule set in force (`rules`).
    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &Self::Input,
        rules: &RuleSet,
    ) -> Result<Checked<Self::Answer>, AppError>;

    /// Runs when the application is on record (completed or waiting), inside the transaction.
    async fn filed(
        _app: &App,
        _conn: &mut AnyConnection,
        _subject: &Subject,
    ) -> Result<(), AppError> {
        Ok(())
    }

    /// Carries the procedure out, inside the runner's transaction.
    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &Self::Input,
    ) -> Result<Self::Done, AppError>;

    /// What the caller gets back (`done` is None while the application waits for staff).
    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        assessment: Assessment,
        input: Self::Input,
        done: Option<Self::Done>,
    ) -> Result<Self::Answer, AppError>;

    /// The member's mail once the procedure is completed.
    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        input: &Self::Input,
        done: &Self::Done,
    ) -> MailText;

    /// The letter completing the procedure sends (契約締結証書, 契約内容確認書, 解除通知書…), made
    /// with [`App::letter_head`], and the contract it is about; the runner issues it as a
    /// document, in the transaction, and attaches it to the completed mail. None: the procedure
    /// sends no letter.
    async fn letter(
        _app: &App,
        _conn: &mut AnyConnection,
        _subject: &Subject,
        _input: &Self::Input,
        _done: &Self::Done,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        Ok(None)
    }

    /// The member's mail when the application waits for staff.
    fn received_mail(app: &App, subject: &Subject, filed: &Filed) -> MailText {
        MailText {
            subject: format!(
                "【{}】{}を受け付けました（確認中）",
                subject.program.name_ja(),
                Self::PROCEDURE.name_ja()
            ),
            body: format!(
                "{} 様\n\n{}の{}を受け付けました（受付番号：{}）。\n\
                 内容を職員が確認しています。結果はメールとマイページでお知らせします（通常5営業日以内）。\n{}/portal\n",
                subject.holder_name,
                subject.program.name_ja(),
                Self::PROCEDURE.name_ja(),
                filed.application_id,
                app.public_url
            ),
        }
    }
}

/// Where a paper form came from: the BPO batch's form and the agency that forwarded it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaperOrigin {
    pub paper_form_id: PaperFormId,
    pub agency_id: Option<AgencyId>,
}

/// A mail's subject and body; the runner addresses it to the member.
pub(crate) struct MailText {
    pub subject: String,
    pub body: String,
}

/// An `Idempotency-Key` sent with a request, with the hash of what was sent: the same key with
/// a different request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    request_hash: String,
}

impl IdempotencyKey {
    /// A key of 1–200 characters for a request whose canonical text is `request`.
    pub fn new(key: &str, request: &str) -> Result<IdempotencyKey, AppError> {
        if key.is_empty() || key.chars().count() > 200 {
            return Err(AppError::Unprocessable {
                code: "idempotency_key",
                message: "Idempotency-Key は1〜200文字で指定してください。".into(),
            });
        }
        Ok(IdempotencyKey {
            key: key.to_string(),
            request_hash: sha256_hex(request.as_bytes()),
        })
    }
}

/// A procedure's answer: new, or the first answer to the same `Idempotency-Key` replayed.
#[derive(Debug, Clone)]
pub enum Answer<T> {
    New(T),
    Replayed {
        /// The API status of the first answer.
        status: u16,
        /// The first answer as JSON, byte for byte.
        body: String,
    },
}

impl<T> Answer<T> {
    /// The answer of a request sent without a key (which cannot be a replay).
    pub fn fresh(self) -> Result<T, AppError> {
        match self {
            Answer::New(t) => Ok(t),
            Answer::Replayed { .. } => Err(AppError::Internal("replay without a key".into())),
        }
    }
}

/// An answer that says where its application stands (for the API's 201/202).
pub trait Outcome: Serialize {
    fn status(&self) -> ApplicationStatus;
}

/// The API status of a procedure's answer: 201 when completed, 202 when it waits for staff
/// (also the status stored with an `Idempotency-Key`).
pub fn answer_status(status: ApplicationStatus) -> u16 {
    match status {
        ApplicationStatus::Completed => 201,
        _ => 202,
    }
}

impl Actor {
    /// How a procedure by this actor reached the Organization: a member acts online; staff and
    /// data-entry operators key in a paper form; an agency helps the member at its window.
    pub fn channel(&self) -> Channel {
        match self.role {
            Role::Member | Role::Service => Channel::Online,
            Role::Staff | Role::DataEntry => Channel::Paper,
            Role::Agency => Channel::Agency,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

impl App {
    /// Runs procedure `P` for `target` as submitted by `actor` (see the module doc for the steps).
    /// Every run is counted for `/metrics` by procedure, channel and outcome.
    pub(crate) async fn run_procedure<P: ProcedureRules>(
        &self,
        actor: &Actor,
        target: &P::Target,
        form: &P::Form,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<P::Answer>, AppError> {
        self.run_procedure_via::<P>(actor, target, form, key, None)
            .await
    }

    /// [`App::run_procedure`] for a paper form delivered by the BPO contractor: the application
    /// records the agency that forwarded it, and the paper form is linked to the application in
    /// the same transaction (so a form is never marked submitted without its application).
    #[tracing::instrument(skip_all, fields(procedure = P::PROCEDURE.as_str(), actor = actor.user_id.get()))]
    pub(crate) async fn run_procedure_via<P: ProcedureRules>(
        &self,
        actor: &Actor,
        target: &P::Target,
        form: &P::Form,
        key: Option<&IdempotencyKey>,
        via: Option<&PaperOrigin>,
    ) -> Result<Answer<P::Answer>, AppError> {
        let (result, outcome) = match self
            .file_procedure::<P>(actor, target, form, key, via)
            .await
        {
            Ok((answer, outcome)) => (Ok(answer), outcome),
            Err(e) => {
                let outcome = ProcedureOutcome::of_error(&e);
                (Err(e), outcome)
            }
        };
        self.metrics
            .procedure(P::PROCEDURE, actor.channel(), outcome);
        result
    }

    /// [`App::run_procedure_via`]'s steps; the answer comes with its outcome for the metrics.
    async fn file_procedure<P: ProcedureRules>(
        &self,
        actor: &Actor,
        target: &P::Target,
        form: &P::Form,
        key: Option<&IdempotencyKey>,
        via: Option<&PaperOrigin>,
    ) -> Result<(Answer<P::Answer>, ProcedureOutcome), AppError> {
        let input = P::parse(form)?;
        let mut tx = self.store.begin_write().await?;
        if let Some(key) = key {
            if let Some(replay) = replay(&mut tx, actor, key).await? {
                return Ok((replay, ProcedureOutcome::Replayed));
            }
            let now = self.clock.now_text();
            if let Err(e) =
                idempotency::claim(tx.conn(), actor.user_id, &key.key, &key.request_hash, &now)
                    .await
            {
                // Another request with the same key got there first (PostgreSQL runs writers
                // concurrently; this one waited for it to commit): answer with its answer.
                drop(tx);
                let mut tx = self.store.begin_write().await?;
                return match replay(&mut tx, actor, key).await? {
                    Some(replay) => Ok((replay, ProcedureOutcome::Replayed)),
                    None => Err(e.into()),
                };
            }
        }
        let subject = P::subject(self, tx.conn(), actor, target, &input).await?;
        let rules = self.rules_for(subject.program)?;
        let assessment = match P::check(self, tx.conn(), &subject, &input, &rules).await? {
            Checked::Unchanged(answer) => {
                return Ok((Answer::New(answer), ProcedureOutcome::Unchanged));
            }
            Checked::Assessed(a) => a,
        };
        let decision = assessment.decision();
        if decision == Decision::Reject {
            // Nothing is stored for a refused form: the member corrects it and sends it again.
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        let completed = decision == Decision::Approve;
        let now = self.clock.now_text();
        let status = if completed {
            ApplicationStatus::Completed
        } else {
            ApplicationStatus::InReview
        };
        let channel = actor.channel();
        let application_id = applications::insert(
            tx.conn(),
            &applications::NewApplication {
                program: subject.program.as_str(),
                procedure: P::PROCEDURE.as_str(),
                channel: channel.as_str(),
                member_id: subject.member_id,
                agency_id: via.and_then(|v| v.agency_id),
                status: status.as_str(),
                outcome: completed.then_some("approved"),
                received_at: &now,
                completed_at: completed.then_some(now.as_str()),
                rule_set: &rules.id,
                payload: &to_json(form)?,
                checks: &to_json(&assessment.checks)?,
                person_key: &subject.person_key,
            },
        )
        .await?;
        if let Some(contract_id) = subject.contract_id {
            applications::link_contract(tx.conn(), application_id, contract_id).await?;
        }
        if let Some(via) = via {
            kyosai_store::paper::set_outcome(
                tx.conn(),
                via.paper_form_id,
                "submitted",
                Some(application_id),
                None,
            )
            .await?;
        }
        let filed = Filed::new(application_id, status, rules, actor.audit_name(), now);
        filed.audit(
            "application.submitted",
            &format!("application:{application_id}"),
            None,
            Some(&json!({
                "program": subject.program.as_str(),
                "procedure": P::PROCEDURE.as_str(),
                "channel": channel.as_str(),
                "decision": decision,
                "for_member": subject.member_id,
            })),
        );
        P::filed(self, tx.conn(), &subject).await?;
        let done = if completed {
            Some(P::complete(self, tx.conn(), &filed, &subject, &input).await?)
        } else {
            None
        };
        let (mail, attachments) = match &done {
            Some(done) => {
                self.completed_mail::<P>(tx.conn(), channel, &subject, &filed, &input, done)
                    .await?
            }
            None => (P::received_mail(self, &subject, &filed), Vec::new()),
        };
        self.mail_member_with(tx.conn(), subject.member_id, mail, attachments, &filed.now)
            .await?;
        let answer = P::answer(self, tx.conn(), &filed, &subject, assessment, input, done).await?;
        filed.append_audits(self, tx.conn()).await?;
        if let Some(key) = key {
            idempotency::record_answer(
                tx.conn(),
                actor.user_id,
                &key.key,
                answer_status(status),
                &to_json(&answer)?,
            )
            .await?;
        }
        tx.commit().await?;
        let outcome = if completed {
            ProcedureOutcome::Completed
        } else {
            ProcedureOutcome::InReview
        };
        Ok((Answer::New(answer), outcome))
    }

    /// Completes an application that waited in the staff queue, with the procedure's own
    /// completing step (staff approval; the runner's transaction is the caller's).
    #[tracing::instrument(skip_all, fields(procedure = P::PROCEDURE.as_str(), application = application.id.get()))]
    pub(crate) async fn complete_reviewed<P: ProcedureRules>(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        application: &Application,
    ) -> Result<ProcedureCompletion, AppError> {
        let form: P::Form = serde_json::from_str(&application.payload).map_err(|e| {
            AppError::Internal(format!("application {}: {e}", application.id).into())
        })?;
        let input = P::parse(&form)?;
        let subject = P::stored_subject(self, conn, application, &input).await?;
        let rules = self.rules_for(subject.program)?;
        let filed = Filed::new(
            application.id,
            ApplicationStatus::Completed,
            rules,
            actor.audit_name(),
            self.clock.now_text(),
        );
        let done = P::complete(self, conn, &filed, &subject, &input).await?;
        let (mail, attachments) = self
            .completed_mail::<P>(conn, application.channel, &subject, &filed, &input, &done)
            .await?;
        self.mail_member_with(conn, subject.member_id, mail, attachments, &filed.now)
            .await?;
        filed.append_audits(self, conn).await?;
        Ok(ProcedureCompletion {
            contract_id: subject.contract_id,
        })
    }

    /// The completed mail and the letter it carries (issued here, in the caller's transaction).
    async fn completed_mail<P: ProcedureRules>(
        &self,
        conn: &mut AnyConnection,
        channel: Channel,
        subject: &Subject,
        filed: &Filed,
        input: &P::Input,
        done: &P::Done,
    ) -> Result<(MailText, Vec<MailAttachment>), AppError> {
        let mut text = P::completed_mail(self, subject, filed, input, done);
        let Some((contract_id, mut letter)) = P::letter(self, conn, subject, input, done).await?
        else {
            return Ok((text, Vec::new()));
        };
        if channel == Channel::Paper {
            // A paper form is answered on paper: the letter carries the survey's short address.
            let code =
                crate::survey::survey_code_in(conn, filed.application_id, &filed.now).await?;
            letter.head_mut().survey_url = Some(format!("{}/s/{code}", self.public_url));
        }
        let period = format!("application:{}", filed.application_id);
        let attachment = self
            .issue_letter(conn, contract_id, &period, &letter)
            .await?;
        text.body
            .push_str(&self.attachment_note(&attachment, &letter.head().contract_number));
        Ok((text, vec![attachment]))
    }

    /// Mails the member (outbox and portal inbox, inside the caller's transaction).
    pub(crate) async fn mail_member(
        &self,
        conn: &mut AnyConnection,
        member_id: UserId,
        text: MailText,
        now: &str,
    ) -> Result<(), AppError> {
        self.mail_member_with(conn, member_id, text, Vec::new(), now)
            .await
    }

    /// [`App::mail_member`] with documents attached.
    pub(crate) async fn mail_member_with(
        &self,
        conn: &mut AnyConnection,
        member_id: UserId,
        text: MailText,
        attachments: Vec<MailAttachment>,
        now: &str,
    ) -> Result<(), AppError> {
        let member = users::by_id(conn, member_id)
            .await?
            .ok_or(AppError::NotFound)?;
        mail::send_to_members(
            conn,
            &[(
                member_id,
                Mail {
                    to: member.email,
                    subject: text.subject,
                    body: text.body,
                    attachments,
                },
            )],
            now,
        )
        .await
    }
}

/// The active contract a maintenance procedure is about, if `actor` may act on it: its member,
/// or staff acting for them (a paper form). Anyone else gets NotFound (whether the contract
/// exists is not revealed); a cancelled contract refuses every later procedure.
pub(crate) async fn active_contract(
    conn: &mut AnyConnection,
    actor: &Actor,
    number: &str,
) -> Result<Contract, AppError> {
    let c = contracts::by_number(conn, number)
        .await?
        .ok_or(AppError::NotFound)?;
    match actor.role {
        Role::Staff => {}
        Role::Member if c.member_id == actor.user_id => {}
        _ => return Err(AppError::NotFound),
    }
    if c.status != ContractStatus::Active {
        return Err(AppError::conflict(
            "contract_not_active",
            "この共済契約は解約されているため、お手続きできません。",
        ));
    }
    Ok(c)
}

/// Refuses a maintenance procedure while another application of the same contract waits for
/// staff (any procedure): the waiting one was checked against the contract as it is now, and a
/// second change would decide on facts the first may still change. Call it inside the write
/// transaction, after locking the contract (`contracts::lock`), so two submissions cannot both
/// pass. `409 procedure_pending` names the waiting procedure.
pub(crate) async fn ensure_no_pending(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<(), AppError> {
    if let Some((id, procedure)) = applications::in_review_for_contract(conn, contract_id)
        .await?
        .first()
    {
        return Err(AppError::conflict(
            "procedure_pending",
            format!(
                "この共済契約には確認中のお手続き（{}、受付番号 {id}）があります。結果が出てから、あらためてお手続きください。",
                procedure.name_ja()
            ),
        ));
    }
    Ok(())
}

/// The subject of a maintenance procedure filed now: the active contract `actor` may act on
/// ([`active_contract`]), locked for this transaction so two submissions of one contract run
/// one after the other (PostgreSQL runs writers concurrently), with no other application of it
/// waiting for staff ([`ensure_no_pending`]).
pub(crate) async fn maintenance_subject(
    conn: &mut AnyConnection,
    actor: &Actor,
    number: &str,
) -> Result<Subject, AppError> {
    let c = active_contract(conn, actor, number).await?;
    contracts::lock(conn, c.id).await?;
    ensure_no_pending(conn, c.id).await?;
    Ok(contract_subject(&c))
}

/// The subject of a procedure only one program has (a loan of its own kind):
/// [`maintenance_subject`], refused with `409 not_available` for the other program's contract,
/// saying which program the procedure belongs to.
pub(crate) async fn program_subject(
    conn: &mut AnyConnection,
    actor: &Actor,
    number: &str,
    program: Program,
    what: &str,
) -> Result<Subject, AppError> {
    let s = maintenance_subject(conn, actor, number).await?;
    if s.program != program {
        return Err(AppError::conflict(
            "not_available",
            format!("{what}は{}の制度です。", program.name_ja()),
        ));
    }
    Ok(s)
}

/// What an approval completed, for the decision's audit row.
pub(crate) struct ProcedureCompletion {
    pub contract_id: Option<ContractId>,
}

/// The first answer to `key`, if one was stored; the same key with another request is refused.
async fn replay<T>(
    tx: &mut WriteTx,
    actor: &Actor,
    key: &IdempotencyKey,
) -> Result<Option<Answer<T>>, AppError> {
    let Some(stored) = idempotency::get(tx.conn(), actor.user_id, &key.key).await? else {
        return Ok(None);
    };
    if stored.request_hash != key.request_hash {
        return Err(AppError::Unprocessable {
            code: "idempotency_key_reused",
            message: "この Idempotency-Key は別の内容の申込に使われています。".into(),
        });
    }
    Ok(Some(Answer::Replayed {
        status: stored.status,
        body: stored.body,
    }))
}

/// The subject of a contract maintenance procedure.
pub(crate) fn contract_subject(c: &kyosai_store::contracts::Contract) -> Subject {
    Subject {
        program: c.program,
        member_id: c.member_id,
        contract_id: Some(c.id),
        person_key: c.person_key.clone(),
        holder_name: c.holder_name.clone(),
    }
}

/// The contract a maintenance procedure's subject names.
pub(crate) async fn subject_contract(
    conn: &mut AnyConnection,
    subject: &Subject,
) -> Result<kyosai_store::contracts::Contract, AppError> {
    let id = subject
        .contract_id
        .ok_or_else(|| AppError::Internal("a contract procedure without a contract".into()))?;
    kyosai_store::contracts::get(conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The subject of a maintenance application waiting in the staff queue.
pub(crate) async fn stored_contract_subject(
    conn: &mut AnyConnection,
    application: &Application,
) -> Result<Subject, AppError> {
    let id = application.contract_id.ok_or_else(|| {
        AppError::Internal(format!("application {}: no contract", application.id).into())
    })?;
    let c = kyosai_store::contracts::get(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(contract_subject(&c))
}
