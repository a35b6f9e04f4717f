//! Paper forms keyed or OCR-read by the BPO contractor (issue #14 item 1; REFERENCE §9.4).
//!
//! The contractor delivers a batch file (format in `docs/paper-batch.md`): UTF-8 JSON with, per
//! form, the procedure, the contract (or the member's account for an enrollment), the agency
//! that forwarded it, each field's value with its OCR confidence, and the scanned image.
//!
//! 1. The whole batch is checked first (encoding, structure, duplicate form ids, images by their
//!    magic bytes, field names the procedure knows, agency codes, a batch imported before); any
//!    problem refuses it with a report naming where, and nothing is stored.
//! 2. The batch and its forms are stored in one transaction.
//! 3. Each form whose fields are all at or above the confidence threshold (`rules/paper.toml`)
//!    goes through **the same procedure use case as online** ([`App::run_procedure_via`]):
//!    channel `paper` (the importing staff member acts), the agency recorded on the application.
//!    Each form is its own transaction, so a form is a whole application or nothing.
//! 4. Fields below the threshold, and the fields a rule refused, go to **double entry**: two
//!    different operators key each from the image; equal values are final, a mismatch is decided
//!    by a third operator. Nobody keys two rounds of one form. When every field is final the
//!    form goes through its procedure with the verified values.

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use kyosai_domain::error::FieldError;
use kyosai_domain::rules::Sourced;
use kyosai_domain::{ApplicationId, PaperFormId, Procedure};
use kyosai_store::paper::{self as store, Keying, NewForm};
use kyosai_store::{sha256_hex, users};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::bankruptcy_loan::{BankruptcyLoanForm, BankruptcyLoanProcedure};
use crate::cancellation::{CancellationForm, CancellationProcedure};
use crate::claims::{BenefitClaimProcedure, ClaimForm};
use crate::details_change::{DetailsChangeProcedure, DetailsForm};
use crate::enrollment::{Enrollment, EnrollmentForm};
use crate::loan_early_repayment::{EarlyRepaymentForm, EarlyRepaymentProcedure};
use crate::loans::{TemporaryLoanForm, TemporaryLoanProcedure};
use crate::mandate_change::{MandateChangeProcedure, MandateForm};
use crate::member_loan::{MemberLoanForm, MemberLoanProcedure};
use crate::payment_frequency::{FrequencyChangeProcedure, FrequencyForm};
use crate::premium_change::{PremiumChangeForm, PremiumChangeProcedure};
use crate::premium_deferral::{PremiumDeferralForm, PremiumDeferralProcedure};
use crate::prepayment_application::{PrepaymentForm, PrepaymentProcedure};
use crate::procedure::{PaperOrigin, ProcedureRules};
use crate::suspension::{ResumptionForm, ResumptionProcedure, SuspensionForm, SuspensionProcedure};
use crate::{Actor, App, AppError, Role};

/// The format name a batch declares (`"format"`); a later incompatible format gets a new one.
pub const BATCH_FORMAT: &str = "kyosai-paper-batch/1";

/// Paper-import settings (`rules/paper.toml`, embedded).
#[derive(Debug, Clone, Deserialize)]
pub struct PaperRules {
    /// Fields read with a lower OCR confidence (0–1) go to double entry.
    pub confidence_threshold: Sourced<f64>,
}

impl PaperRules {
    pub fn embedded() -> Result<PaperRules, AppError> {
        toml::from_str(include_str!("../../../rules/paper.toml"))
            .map_err(|e| AppError::Internal(format!("rules/paper.toml: {e}").into()))
    }
}

/// One problem of a refused batch: where (`forms[2].fields.phone`) and what, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProblem {
    pub place: String,
    pub message: String,
}

/// Why a batch was refused: every problem found. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub file_name: String,
    pub problems: Vec<BatchProblem>,
}

impl std::fmt::Display for BatchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: 取り込めませんでした（{}件の問題、何も登録していません）",
            self.file_name,
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {}: {}", p.place, p.message)?;
        }
        Ok(())
    }
}

/// A batch import's failure: the batch was refused (with its report), or the system failed.
#[derive(Debug)]
pub enum PaperImportError {
    Refused(BatchReport),
    App(AppError),
}

impl From<AppError> for PaperImportError {
    fn from(e: AppError) -> Self {
        PaperImportError::App(e)
    }
}

impl From<kyosai_store::StoreError> for PaperImportError {
    fn from(e: kyosai_store::StoreError) -> Self {
        PaperImportError::App(e.into())
    }
}

/// Where a form stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperFormStatus {
    /// Fields wait for double entry.
    Verifying,
    /// It became an application (completed or in staff review).
    Submitted,
    /// Its procedure refused it after verification, or its contract cannot take it.
    Refused,
}

impl PaperFormStatus {
    fn parse(s: &str) -> Result<PaperFormStatus, AppError> {
        match s {
            "verifying" => Ok(PaperFormStatus::Verifying),
            "submitted" => Ok(PaperFormStatus::Submitted),
            "refused" => Ok(PaperFormStatus::Refused),
            other => Err(AppError::Internal(
                format!("paper_forms.status {other:?}").into(),
            )),
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            PaperFormStatus::Verifying => "ダブル入力待ち",
            PaperFormStatus::Submitted => "申込として登録済み",
            PaperFormStatus::Refused => "登録できず（要対応）",
        }
    }
}

/// What happened to one form of an imported batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedForm {
    pub paper_form_id: PaperFormId,
    pub form_id: String,
    pub status: PaperFormStatus,
    pub application_id: Option<ApplicationId>,
    /// Fields sent to double entry.
    pub to_verify: usize,
}

/// An imported batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBatch {
    pub batch_id: String,
    pub forms: Vec<ImportedForm>,
}

/// One field as delivered.
#[derive(Debug, Clone, PartialEq)]
struct DeliveredField {
    value: String,
    confidence: f64,
}

/// One form of a checked batch.
#[derive(Debug, Clone)]
struct CheckedForm {
    form_id: String,
    procedure: Procedure,
    /// The contract number, or for an enrollment the member's account e-mail.
    target: String,
    agency_code: Option<String>,
    fields: BTreeMap<String, DeliveredField>,
    image_type: &'static str,
    image_base64: String,
}

/// A form's field values in the shape its procedure's form takes (`{name: value}`).
fn values_json(fields: &BTreeMap<String, String>) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The field names procedure `P`'s form knows (from its default value, so they never drift
/// from the form type).
fn known_fields<F: Default + serde::Serialize>() -> Vec<String> {
    match serde_json::to_value(F::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn form_fields(procedure: Procedure) -> Vec<String> {
    match procedure {
        Procedure::Enrollment => known_fields::<EnrollmentForm>(),
        Procedure::MandateChange => known_fields::<MandateForm>(),
        Procedure::Cancellation => known_fields::<CancellationForm>(),
        Procedure::FrequencyChange => known_fields::<FrequencyForm>(),
        Procedure::Prepayment => known_fields::<PrepaymentForm>(),
        Procedure::Suspension => known_fields::<SuspensionForm>(),
        Procedure::Resumption => known_fields::<ResumptionForm>(),
        Procedure::DetailsChange => known_fields::<DetailsForm>(),
        Procedure::PremiumChange => known_fields::<PremiumChangeForm>(),
        Procedure::TemporaryLoan => known_fields::<TemporaryLoanForm>(),
        Procedure::BenefitClaim => known_fields::<ClaimForm>(),
        Procedure::BankruptcyLoan => known_fields::<BankruptcyLoanForm>(),
        Procedure::LoanEarlyRepayment => known_fields::<EarlyRepaymentForm>(),
        Procedure::MemberLoan => known_fields::<MemberLoanForm>(),
        Procedure::PremiumDeferral => known_fields::<PremiumDeferralForm>(),
    }
}

/// Whether the values deserialize into the procedure's form (a type mismatch is a batch problem).
fn form_reads<F: DeserializeOwned>(values: &Value) -> Result<(), String> {
    serde_json::from_value::<F>(values.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check_form_type(procedure: Procedure, values: &Value) -> Result<(), String> {
    match procedure {
        Procedure::Enrollment => form_reads::<EnrollmentForm>(values),
        Procedure::MandateChange => form_reads::<MandateForm>(values),
        Procedure::Cancellation => form_reads::<CancellationForm>(values),
        Procedure::FrequencyChange => form_reads::<FrequencyForm>(values),
        Procedure::Prepayment => form_reads::<PrepaymentForm>(values),
        Procedure::Suspension => form_reads::<SuspensionForm>(values),
        Procedure::Resumption => form_reads::<ResumptionForm>(values),
        Procedure::DetailsChange => form_reads::<DetailsForm>(values),
        Procedure::PremiumChange => form_reads::<PremiumChangeForm>(values),
        Procedure::TemporaryLoan => form_reads::<TemporaryLoanForm>(values),
        Procedure::BenefitClaim => form_reads::<ClaimForm>(values),
        Procedure::BankruptcyLoan => form_reads::<BankruptcyLoanForm>(values),
        Procedure::LoanEarlyRepayment => form_reads::<EarlyRepaymentForm>(values),
        Procedure::MemberLoan => form_reads::<MemberLoanForm>(values),
        Procedure::PremiumDeferral => form_reads::<PremiumDeferralForm>(values),
    }
}

/// The image's MIME type from its magic bytes; only what a browser shows next to the fields.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

fn procedure_named(name: &str) -> Option<Procedure> {
    Procedure::ALL.into_iter().find(|p| p.as_str() == name)
}

/// Checks a batch file as the import does before touching the database, answering the number of
/// forms it holds or every problem found. Public for the fuzz target of the batch parser (`fuzz/`).
pub fn check_batch_file(bytes: &[u8]) -> Result<usize, Vec<BatchProblem>> {
    check_batch(bytes).map(|(_, forms)| forms.len())
}

/// Checks a batch file without the database: everything the file itself can get wrong.
fn check_batch(bytes: &[u8]) -> Result<(String, Vec<CheckedForm>), Vec<BatchProblem>> {
    let problem = |place: &str, message: String| BatchProblem {
        place: place.to_string(),
        message,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            return Err(vec![problem(
                "ファイル",
                format!(
                    "UTF-8 ではありません（{} バイト目から読めません）。Shift_JIS などで保存されていないか確認してください。",
                    e.valid_up_to() + 1
                ),
            )]);
        }
    };
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![problem(
                "ファイル",
                format!(
                    "JSON として読めません（{}行 {}文字目）。",
                    e.line(),
                    e.column()
                ),
            )]);
        }
    };
    let mut problems = Vec::new();
    let Some(root) = root.as_object() else {
        return Err(vec![problem(
            "ファイル",
            "全体が JSON オブジェクトではありません。".into(),
        )]);
    };
    if root.get("format").and_then(Value::as_str) != Some(BATCH_FORMAT) {
        problems.push(problem(
            "format",
            format!("\"{BATCH_FORMAT}\" を指定してください。"),
        ));
    }
    let batch_id = root
        .get("batch_id")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if batch_id.is_empty() || batch_id.chars().count() > 64 {
        problems.push(problem(
            "batch_id",
            "バッチ番号（1〜64文字）がありません。".into(),
        ));
    }
    let forms = match root.get("forms").and_then(Value::as_array) {
        Some(f) if !f.is_empty() => f.as_slice(),
        _ => {
            problems.push(problem("forms", "帳票が1件もありません。".into()));
            &[]
        }
    };
    let mut seen = HashSet::new();
    let mut checked = Vec::new();
    for (i, form) in forms.iter().enumerate() {
        let at = |what: &str| format!("forms[{i}]{what}");
        let Some(form) = form.as_object() else {
            problems.push(problem(&at(""), "JSON オブジェクトではありません。".into()));
            continue;
        };
        let text = |name: &str| {
            form.get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let form_id = text("form_id");
        match form_id {
            None => problems.push(problem(&at(".form_id"), "帳票番号がありません。".into())),
            Some(id) if !seen.insert(id.to_string()) => problems.push(problem(
                &at(".form_id"),
                format!("帳票番号 {id} が重複しています。"),
            )),
            Some(_) => {}
        }
        let procedure = match text("procedure") {
            None => {
                problems.push(problem(&at(".procedure"), "手続きがありません。".into()));
                None
            }
            Some(p) => {
                let found = procedure_named(p);
                if found.is_none() {
                    problems.push(problem(
                        &at(".procedure"),
                        format!("手続き {p} はありません（docs/paper-batch.md の一覧から指定してください）。"),
                    ));
                }
                found
            }
        };
        let target_key = match procedure {
            Some(Procedure::Enrollment) => "member_email",
            _ => "contract_number",
        };
        let target = text(target_key);
        if procedure.is_some() && target.is_none() {
            problems.push(problem(
                &at(&format!(".{target_key}")),
                if target_key == "member_email" {
                    "加入者のアカウントのメールアドレスがありません。".into()
                } else {
                    "共済契約番号がありません。".into()
                },
            ));
        }
        let agency_code = match form.get("agency_code") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                problems.push(problem(
                    &at(".agency_code"),
                    "委託機関コードは文字列か null にしてください。".into(),
                ));
                None
            }
        };
        let mut fields = BTreeMap::new();
        match form.get("fields").and_then(Value::as_object) {
            Some(m) => {
                let known = procedure.map(form_fields).unwrap_or_default();
                for (name, f) in m {
                    let place = at(&format!(".fields.{name}"));
                    if procedure.is_some() && !known.contains(name) {
                        problems.push(problem(&place, "この手続きの様式にない項目です。".into()));
                        continue;
                    }
                    let value = f.get("value").and_then(Value::as_str);
                    let confidence = f.get("confidence").and_then(Value::as_f64);
                    match (value, confidence) {
                        (Some(v), Some(c)) if (0.0..=1.0).contains(&c) => {
                            fields.insert(
                                name.clone(),
                                DeliveredField {
                                    value: v.to_string(),
                                    confidence: c,
                                },
                            );
                        }
                        (None, _) => {
                            problems.push(problem(&place, "value（文字列）がありません。".into()))
                        }
                        _ => problems.push(problem(
                            &place,
                            "confidence（0〜1 の数値）がありません。".into(),
                        )),
                    }
                }
            }
            None => problems.push(problem(
                &at(".fields"),
                "記入項目（fields）がありません。".into(),
            )),
        }
        if let Some(p) = procedure {
            let values: BTreeMap<String, String> = fields
                .iter()
                .map(|(k, f)| (k.clone(), f.value.clone()))
                .collect();
            if let Err(e) = check_form_type(p, &values_json(&values)) {
                problems.push(problem(
                    &at(".fields"),
                    format!("様式として読めません: {e}"),
                ));
            }
        }
        let image = form.get("image").and_then(Value::as_object);
        let image_base64 = image
            .and_then(|i| i.get("base64"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let image_type = if image_base64.is_empty() {
            problems.push(problem(&at(".image"), "スキャン画像がありません。".into()));
            None
        } else {
            match base64::engine::general_purpose::STANDARD.decode(image_base64) {
                Err(_) => {
                    problems.push(problem(
                        &at(".image.base64"),
                        "base64 として読めません。".into(),
                    ));
                    None
                }
                Ok(bytes) => {
                    let sniffed = sniff_image(&bytes);
                    if sniffed.is_none() {
                        problems.push(problem(
                            &at(".image"),
                            "画像ではありません（JPEG か PNG にしてください。中身で判定しています）。".into(),
                        ));
                    }
                    sniffed
                }
            }
        };
        if let (Some(form_id), Some(procedure), Some(target), Some(image_type)) =
            (form_id, procedure, target, image_type)
        {
            checked.push(CheckedForm {
                form_id: form_id.to_string(),
                procedure,
                target: target.to_string(),
                agency_code,
                fields,
                image_type,
                image_base64: image_base64.to_string(),
            });
        }
    }
    if problems.is_empty() {
        Ok((batch_id.to_string(), checked))
    } else {
        Err(problems)
    }
}

/// One field of a form as the verification screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperFieldView {
    pub name: String,
    /// What the contractor delivered.
    pub delivered: String,
    pub confidence: f64,
    /// Whether the field goes through double entry, and why (Japanese), if so.
    pub verify_reason: Option<String>,
    /// The round this field needs next (1, 2, or 3 for a decision), None once final.
    pub next_round: Option<i64>,
    /// The verified value, once final.
    pub verified: Option<String>,
}

/// A paper form for the verification screen.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperFormView {
    pub id: PaperFormId,
    pub form_id: String,
    pub procedure: Procedure,
    pub target: String,
    pub status: PaperFormStatus,
    pub reason: Option<String>,
    pub application_id: Option<ApplicationId>,
    pub fields: Vec<PaperFieldView>,
    /// Whether the viewer already keyed this form (then they may not key it again).
    pub keyed_by_viewer: bool,
    /// Seconds of data-entry time recorded on this form so far.
    pub entry_seconds: i64,
}

impl PaperFormView {
    /// The fields the next operator keys.
    pub fn pending(&self) -> impl Iterator<Item = &PaperFieldView> {
        self.fields.iter().filter(|f| f.next_round.is_some())
    }
}

/// A row of the paper-forms list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperFormRow {
    pub id: PaperFormId,
    pub form_id: String,
    pub procedure: Procedure,
    pub target: String,
    pub status: PaperFormStatus,
    pub application_id: Option<ApplicationId>,
}

/// The next round a field needs from its keyings, or its final value.
fn field_state(keyings: &[&Keying]) -> Result<String, i64> {
    let round = |n| keyings.iter().find(|k| k.round == n).map(|k| &k.value);
    match (round(1), round(2), round(3)) {
        (None, _, _) => Err(1),
        (Some(_), None, _) => Err(2),
        (Some(a), Some(b), _) if a == b => Ok(a.clone()),
        (Some(_), Some(_), None) => Err(3),
        (Some(_), Some(_), Some(decided)) => Ok(decided.clone()),
    }
}

fn may_key(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::Staff | Role::DataEntry => Ok(()),
        _ => Err(AppError::Forbidden(
            "paper forms are keyed by staff and operators",
        )),
    }
}

fn delivered(fields: &str) -> Result<BTreeMap<String, DeliveredField>, AppError> {
    let m: Map<String, Value> =
        serde_json::from_str(fields).map_err(|e| AppError::Internal(e.into()))?;
    Ok(m.into_iter()
        .map(|(k, v)| {
            let f = DeliveredField {
                value: v
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                confidence: v.get("confidence").and_then(Value::as_f64).unwrap_or(0.0),
            };
            (k, f)
        })
        .collect())
}

impl App {
    /// Imports a BPO batch file as `actor` (staff): refused whole with a report when anything
    /// is wrong, else stored and each form submitted or sent to double entry (module doc).
    pub async fn import_paper_batch(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportedBatch, PaperImportError> {
        if actor.role != Role::Staff {
            return Err(AppError::Forbidden("paper batches are imported by staff").into());
        }
        let refuse = |problems| {
            PaperImportError::Refused(BatchReport {
                file_name: file_name.to_string(),
                problems,
            })
        };
        let (batch_id, forms) = check_batch(bytes).map_err(refuse)?;
        let threshold = PaperRules::embedded()?.confidence_threshold.value;
        let sha = sha256_hex(bytes);
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let mut problems = Vec::new();
        if store::batch_exists(tx.conn(), &sha, &batch_id).await? {
            problems.push(BatchProblem {
                place: "batch_id".into(),
                message: format!("このバッチ（{batch_id}）は取り込み済みです。"),
            });
        }
        let mut agencies = Vec::with_capacity(forms.len());
        for (i, f) in forms.iter().enumerate() {
            let agency = match &f.agency_code {
                None => None,
                Some(code) => {
                    let id = store::agency_by_code(tx.conn(), code).await?;
                    if id.is_none() {
                        problems.push(BatchProblem {
                            place: format!("forms[{i}].agency_code"),
                            message: format!("委託機関コード {code} は登録されていません。"),
                        });
                    }
                    id
                }
            };
            agencies.push(agency);
        }
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let batch =
            store::insert_batch(tx.conn(), &sha, &batch_id, file_name, actor.user_id, &now).await?;
        let mut stored = Vec::with_capacity(forms.len());
        for (f, agency_id) in forms.iter().zip(&agencies) {
            let fields: Map<String, Value> = f
                .fields
                .iter()
                .map(|(k, d)| {
                    (
                        k.clone(),
                        json!({"value": d.value, "confidence": d.confidence}),
                    )
                })
                .collect();
            let id = store::insert_form(
                tx.conn(),
                &NewForm {
                    batch_id: batch,
                    form_id: &f.form_id,
                    procedure: f.procedure.as_str(),
                    target: &f.target,
                    agency_id: *agency_id,
                    fields: &Value::Object(fields).to_string(),
                    image_type: f.image_type,
                    image_base64: &f.image_base64,
                },
                &now,
            )
            .await?;
            let mut low = 0;
            for (name, d) in &f.fields {
                if d.confidence < threshold {
                    store::insert_verify_field(tx.conn(), id, name, "low_confidence", None).await?;
                    low += 1;
                }
            }
            stored.push((id, low));
        }
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "paper.batch_imported",
            &format!("paper_batch:{batch}"),
            None,
            Some(&json!({"batch_id": batch_id, "file": file_name, "sha256": sha, "forms": forms.len()})),
        )
        .await?;
        tx.commit().await?;

        let mut out = Vec::with_capacity(forms.len());
        for (f, (id, low)) in forms.iter().zip(stored) {
            if low == 0 {
                self.submit_paper_form(actor, id, true).await?;
            }
            let form = self.paper_form_state(id).await?;
            out.push(ImportedForm {
                paper_form_id: id,
                form_id: f.form_id.clone(),
                status: form.0,
                application_id: form.1,
                to_verify: form.2,
            });
        }
        Ok(ImportedBatch {
            batch_id,
            forms: out,
        })
    }

    /// Status, application and number of fields in double entry of a stored form.
    async fn paper_form_state(
        &self,
        id: PaperFormId,
    ) -> Result<(PaperFormStatus, Option<ApplicationId>, usize), AppError> {
        let mut conn = self.store.read().await?;
        let f = store::form(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let n = store::verify_fields(&mut conn, id).await?.len();
        Ok((PaperFormStatus::parse(&f.status)?, f.application_id, n))
    }

    /// Submits a stored form through its procedure with its delivered values overlaid by the
    /// verified ones, acting as `actor` (staff: the channel is `paper`). A rule's refusal on the
    /// first try (`first`) sends the named fields to double entry; after verification it
    /// refuses the form, with the messages, for staff to take up with the member. A contract
    /// that cannot take the procedure refuses the form either way.
    async fn submit_paper_form(
        &self,
        actor: &Actor,
        id: PaperFormId,
        first: bool,
    ) -> Result<(), AppError> {
        let (form, values) = {
            let mut conn = self.store.read().await?;
            let form = store::form(&mut conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut values: BTreeMap<String, String> = delivered(&form.fields)?
                .into_iter()
                .map(|(k, d)| (k, d.value))
                .collect();
            let keyings = store::keyings(&mut conn, id).await?;
            for vf in store::verify_fields(&mut conn, id).await? {
                let of_field: Vec<&Keying> =
                    keyings.iter().filter(|k| k.field == vf.field).collect();
                if let Ok(v) = field_state(&of_field) {
                    values.insert(vf.field, v);
                }
            }
            (form, values)
        };
        let procedure = procedure_named(&form.procedure).ok_or_else(|| {
            AppError::Internal(format!("paper form {id}: procedure {}", form.procedure).into())
        })?;
        let via = PaperOrigin {
            paper_form_id: id,
            agency_id: form.agency_id,
        };
        let values = values_json(&values);
        let result = self
            .submit_as(actor, procedure, &form.target, values, &via)
            .await;
        let refusal = match result {
            Ok(()) => return Ok(()),
            Err(AppError::Invalid(errors)) if first => {
                let mut tx = self.store.begin_write().await?;
                for e in dedup_fields(&errors) {
                    store::insert_verify_field(tx.conn(), id, &e.field, "rule", Some(&e.message))
                        .await?;
                }
                tx.commit().await?;
                return Ok(());
            }
            Err(AppError::Invalid(errors)) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join(" / "),
            Err(AppError::NotFound) => {
                "共済契約（または加入者のアカウント）が見つかりません。".into()
            }
            Err(AppError::Conflict { message, .. } | AppError::Unprocessable { message, .. }) => {
                message
            }
            Err(e) => return Err(e),
        };
        let mut tx = self.store.begin_write().await?;
        store::set_outcome(tx.conn(), id, "refused", None, Some(&refusal)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs the form's procedure (the same use case as online) for `target`.
    async fn submit_as(
        &self,
        actor: &Actor,
        procedure: Procedure,
        target: &str,
        values: Value,
        via: &PaperOrigin,
    ) -> Result<(), AppError> {
        fn read<F: DeserializeOwned>(v: Value) -> Result<F, AppError> {
            serde_json::from_value(v).map_err(|e| AppError::Internal(e.into()))
        }
        async fn run<P: ProcedureRules<Target = str>>(
            app: &App,
            actor: &Actor,
            target: &str,
            values: Value,
            via: &PaperOrigin,
        ) -> Result<(), AppError> {
            let form: P::Form = read(values)?;
            app.run_procedure_via::<P>(actor, target, &form, None, Some(via))
                .await
                .map(|_| ())
        }
        match procedure {
            Procedure::Enrollment => {
                let member = {
                    let mut conn = self.store.read().await?;
                    users::by_email(&mut conn, target)
                        .await?
                        .filter(|u| u.role == Role::Member.as_str())
                        .ok_or(AppError::NotFound)?
                };
                let form: EnrollmentForm = read(values)?;
                self.run_procedure_via::<Enrollment>(
                    actor,
                    &member.id,
                    &form.normalized(),
                    None,
                    Some(via),
                )
                .await
                .map(|_| ())
            }
            Procedure::MandateChange => {
                run::<MandateChangeProcedure>(self, actor, target, values, via).await
            }
            Procedure::Cancellation => {
                run::<CancellationProcedure>(self, actor, target, values, via).await
            }
            Procedure::FrequencyChange => {
                run::<FrequencyChangeProcedure>(self, actor, target, values, via).await
            }
            Procedure::Prepayment => {
                run::<PrepaymentProcedure>(self, actor, target, values, via).await
            }
            Procedure::Suspension => {
                run::<SuspensionProcedure>(self, actor, target, values, via).await
            }
            Procedure::Resumption => {
                run::<ResumptionProcedure>(self, actor, target, values, via).await
            }
            Procedure::DetailsChange => {
                run::<DetailsChangeProcedure>(self, actor, target, values, via).await
            }
            Procedure::PremiumChange => {
                run::<PremiumChangeProcedure>(self, actor, target, values, via).await
            }
            Procedure::TemporaryLoan => {
                run::<TemporaryLoanProcedure>(self, actor, target, values, via).await
            }
            Procedure::BenefitClaim => {
                run::<BenefitClaimProcedure>(self, actor, target, values, via).await
            }
            Procedure::BankruptcyLoan => {
                run::<BankruptcyLoanProcedure>(self, actor, target, values, via).await
            }
            Procedure::LoanEarlyRepayment => {
                run::<EarlyRepaymentProcedure>(self, actor, target, values, via).await
            }
            Procedure::MemberLoan => {
                run::<MemberLoanProcedure>(self, actor, target, values, via).await
            }
            Procedure::PremiumDeferral => {
                run::<PremiumDeferralProcedure>(self, actor, target, values, via).await
            }
        }
    }

    /// The most recent paper forms (staff and operators).
    pub async fn paper_forms(&self, actor: &Actor) -> Result<Vec<PaperFormRow>, AppError> {
        may_key(actor)?;
        let mut conn = self.store.read().await?;
        store::recent_forms(&mut conn, 200)
            .await?
            .into_iter()
            .map(|f| {
                Ok(PaperFormRow {
                    id: f.id,
                    form_id: f.form_id,
                    procedure: procedure_named(&f.procedure).ok_or_else(|| {
                        AppError::Internal(format!("paper form {}: procedure", f.id).into())
                    })?,
                    target: f.target,
                    status: PaperFormStatus::parse(&f.status)?,
                    application_id: f.application_id,
                })
            })
            .collect()
    }

    /// A paper form for the verification screen, as `actor` sees it.
    pub async fn paper_form(
        &self,
        actor: &Actor,
        id: PaperFormId,
    ) -> Result<PaperFormView, AppError> {
        may_key(actor)?;
        let mut conn = self.store.read().await?;
        let form = store::form(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let keyings = store::keyings(&mut conn, id).await?;
        let verify = store::verify_fields(&mut conn, id).await?;
        let mut delivered = delivered(&form.fields)?;
        for vf in &verify {
            delivered.entry(vf.field.clone()).or_insert(DeliveredField {
                value: String::new(),
                confidence: 0.0,
            });
        }
        let fields = delivered
            .into_iter()
            .map(|(name, d)| {
                let vf = verify.iter().find(|v| v.field == name);
                let of_field: Vec<&Keying> = keyings.iter().filter(|k| k.field == name).collect();
                let state = vf.map(|_| field_state(&of_field));
                PaperFieldView {
                    verify_reason: vf.map(|v| match (&*v.why, &v.message) {
                        ("rule", Some(m)) => format!("規則で不備: {m}"),
                        ("rule", None) => "規則で不備".to_string(),
                        _ => "OCR の確信度が基準未満".to_string(),
                    }),
                    next_round: state.as_ref().and_then(|s| s.as_ref().err().copied()),
                    verified: state.and_then(Result::ok),
                    name,
                    delivered: d.value,
                    confidence: d.confidence,
                }
            })
            .collect();
        Ok(PaperFormView {
            id,
            procedure: procedure_named(&form.procedure)
                .ok_or_else(|| AppError::Internal(format!("paper form {id}: procedure").into()))?,
            form_id: form.form_id,
            target: form.target,
            status: PaperFormStatus::parse(&form.status)?,
            reason: form.reason,
            application_id: form.application_id,
            fields,
            keyed_by_viewer: keyings.iter().any(|k| k.operator_id == actor.user_id),
            entry_seconds: store::entry_seconds(&mut conn, id).await?,
        })
    }

    /// The scanned image of a paper form: its MIME type and bytes.
    pub async fn paper_form_image(
        &self,
        actor: &Actor,
        id: PaperFormId,
    ) -> Result<(String, Vec<u8>), AppError> {
        may_key(actor)?;
        let mut conn = self.store.read().await?;
        let (kind, b64) = store::image(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok((kind, bytes))
    }

    /// Records `actor`'s keying of every field of the form that waits for a round, and the
    /// time from opening the screen (`opened_at`, a timestamp the screen carried) to now. An
    /// operator who keyed any round of this form is refused (`409 own_keying`): nobody verifies
    /// their own keying. When every field is final, the form goes through its procedure.
    pub async fn key_paper_form(
        &self,
        actor: &Actor,
        id: PaperFormId,
        values: &BTreeMap<String, String>,
        opened_at: &str,
    ) -> Result<PaperFormView, AppError> {
        may_key(actor)?;
        let opened: jiff::Timestamp = opened_at.parse().map_err(|_| {
            AppError::Invalid(vec![FieldError::new(
                "opened_at",
                "invalid",
                "画面を開き直してから入力してください。",
            )])
        })?;
        let now = self.clock.now();
        let seconds =
            (now.as_second() - opened.as_second()).clamp(0, crate::staff_time::MAX_SCREEN_SECONDS);
        let now_text = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        store::lock_form(tx.conn(), id).await?;
        let form = store::form(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if PaperFormStatus::parse(&form.status)? != PaperFormStatus::Verifying {
            return Err(AppError::conflict(
                "paper_form_done",
                "この帳票の入力はすでに終わっています。",
            ));
        }
        let keyings = store::keyings(tx.conn(), id).await?;
        if keyings.iter().any(|k| k.operator_id == actor.user_id) {
            return Err(AppError::conflict(
                "own_keying",
                "この帳票はあなたが入力済みです。ご自身の入力を検証することはできません。別の担当者が入力します。",
            ));
        }
        let mut pending = Vec::new();
        for vf in store::verify_fields(tx.conn(), id).await? {
            let of_field: Vec<&Keying> = keyings.iter().filter(|k| k.field == vf.field).collect();
            if let Err(round) = field_state(&of_field) {
                pending.push((vf.field, round));
            }
        }
        let missing: Vec<FieldError> = pending
            .iter()
            .filter(|(f, _)| !values.contains_key(f))
            .map(|(f, _)| FieldError::new(f, "required", "画像を見て入力してください。"))
            .collect();
        if !missing.is_empty() {
            return Err(AppError::Invalid(missing));
        }
        let mut complete = true;
        for (field, round) in &pending {
            let value = values.get(field).map_or("", |v| v.trim()).to_string();
            let first_two = |n| {
                keyings
                    .iter()
                    .find(|k| &k.field == field && k.round == n)
                    .map(|k| k.value.clone())
            };
            if *round == 1 || (*round == 2 && first_two(1).as_deref() != Some(value.as_str())) {
                complete = false;
            }
            store::insert_keying(
                tx.conn(),
                id,
                &Keying {
                    field: field.clone(),
                    round: *round,
                    operator_id: actor.user_id,
                    value,
                },
                &now_text,
            )
            .await?;
        }
        store::insert_entry_time(
            tx.conn(),
            &store::EntryTime {
                screen: "paper_verification",
                paper_form_id: Some(id),
                procedure: &form.procedure,
                channel: "paper",
                user_id: actor.user_id,
                opened_at: &kyosai_store::timestamp_text(opened),
                submitted_at: &now_text,
                seconds,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "paper.fields_keyed",
            &format!("paper_form:{id}"),
            None,
            Some(&json!({"fields": pending.iter().map(|(f, r)| json!({"field": f, "round": r})).collect::<Vec<_>>()})),
        )
        .await?;
        tx.commit().await?;
        if complete && !pending.is_empty() {
            let importer = Actor {
                user_id: form.imported_by,
                role: Role::Staff,
            };
            self.submit_paper_form(&importer, id, false).await?;
        }
        self.paper_form(actor, id).await
    }
}

/// The first error of each field (a rule may name a field twice).
fn dedup_fields(errors: &[FieldError]) -> Vec<&FieldError> {
    let mut seen = HashSet::new();
    errors.iter().filter(|e| seen.insert(&e.field)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_embedded_and_a_share() {
        let t = PaperRules::embedded()
            .expect("rules/paper.toml")
            .confidence_threshold
            .value;
        assert!(t > 0.0 && t <= 1.0);
    }

    #[test]
    fn images_are_sniffed_by_magic_bytes() {
        assert_eq!(sniff_image(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
    }

    #[test]
    fn every_procedure_has_form_fields() {
        for p in Procedure::ALL {
            if p != Procedure::Suspension {
                assert!(!form_fields(p).is_empty(), "{}", p.as_str());
            }
        }
    }
}
