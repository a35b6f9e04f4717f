//! Staff screens for paper forms from the BPO contractor (issue #14 item 1): upload a batch
//! file (checked whole; a refused file shows every problem and stores nothing), the list of
//! forms, and the double-entry verification screen (the scanned image next to the fields to
//! key; 1280×800). Staff and data-entry operators use the verification screen; the time from
//! opening it to submitting is recorded per form (`data_entry_time`).

use kyosai_domain::PaperFormId;
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::paper::{ImportedBatch, PaperFormView, PaperImportError};
use kyosai_app::{AppError, Role};
use serde::Deserialize;

use super::FormData;
use super::view::{Layout, app_error, forbidden_page, not_found_page, render};
use crate::AppState;
use crate::session::SignedIn;

/// A batch with a few hundred scanned forms; images are a few hundred KB each.
pub const MAX_BATCH_FILE_BYTES: usize = 64 * 1024 * 1024;

struct FormRow {
    id: PaperFormId,
    form_id: String,
    procedure: &'static str,
    target: String,
    status: &'static str,
    application_id: String,
}

struct Problem {
    place: String,
    message: String,
}

#[derive(Template)]
#[template(path = "staff_paper.html")]
struct ListPage {
    layout: Layout,
    staff: bool,
    imported: Option<String>,
    problems: Vec<Problem>,
    forms: Vec<FormRow>,
}

fn allowed(signed: &SignedIn) -> bool {
    matches!(signed.actor.role, Role::Staff | Role::DataEntry)
}

async fn list_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    imported: Option<&ImportedBatch>,
    problems: Vec<Problem>,
) -> Response {
    let forms = match state.app.paper_forms(&signed.actor).await {
        Ok(f) => f,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    render(
        status,
        &ListPage {
            layout: Layout::user("紙の申込書（データ入力）", &signed.user),
            staff: signed.actor.role == Role::Staff,
            imported: imported.map(|b| {
                format!(
                    "バッチ {} を取り込みました（帳票 {}件、申込として登録 {}件、ダブル入力待ち {}件）。",
                    b.batch_id,
                    b.forms.len(),
                    b.forms.iter().filter(|f| f.application_id.is_some()).count(),
                    b.forms.iter().filter(|f| f.to_verify > 0 && f.application_id.is_none()).count()
                )
            }),
            problems,
            forms: forms
                .into_iter()
                .map(|f| FormRow {
                    id: f.id,
                    form_id: f.form_id,
                    procedure: f.procedure.name_ja(),
                    target: f.target,
                    status: f.status.name_ja(),
                    application_id: f.application_id.map(|i| i.to_string()).unwrap_or_default(),
                })
                .collect(),
        },
    )
}

/// The paper forms and (for staff) the batch upload.
pub async fn list(State(state): State<AppState>, signed: SignedIn) -> Response {
    if !allowed(&signed) {
        return forbidden_page(Some(&signed.user));
    }
    list_page(&state, &signed, StatusCode::OK, None, Vec::new()).await
}

/// Imports an uploaded batch as `kyosai paper import` does.
pub async fn upload(State(state): State<AppState>, signed: SignedIn, form: Multipart) -> Response {
    if signed.actor.role != Role::Staff {
        return forbidden_page(Some(&signed.user));
    }
    let (name, bytes) = match batch_file(form).await {
        Ok(f) => f,
        Err(message) => {
            let p = vec![Problem {
                place: "ファイル".into(),
                message: message.into(),
            }];
            return list_page(&state, &signed, StatusCode::UNPROCESSABLE_ENTITY, None, p).await;
        }
    };
    match state
        .app
        .import_paper_batch(&signed.actor, &name, &bytes)
        .await
    {
        Ok(b) => list_page(&state, &signed, StatusCode::OK, Some(&b), Vec::new()).await,
        Err(PaperImportError::Refused(r)) => {
            let p = r
                .problems
                .into_iter()
                .map(|p| Problem {
                    place: p.place,
                    message: p.message,
                })
                .collect();
            list_page(&state, &signed, StatusCode::UNPROCESSABLE_ENTITY, None, p).await
        }
        Err(PaperImportError::App(e)) => app_error(e, Some(&signed.user)),
    }
}

async fn batch_file(mut form: Multipart) -> Result<(String, Vec<u8>), &'static str> {
    const UNREADABLE: &str = "送信された内容を読み取れませんでした。ファイルが大きすぎないか（64MBまで）確認して、もう一度お試しください。";
    while let Some(field) = form.next_field().await.map_err(|_| UNREADABLE)? {
        if field.name() != Some("batch_file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "batch.json".into());
        let bytes = field.bytes().await.map_err(|_| UNREADABLE)?;
        if bytes.is_empty() {
            return Err("バッチファイルを選んでください。");
        }
        return Ok((name, bytes.to_vec()));
    }
    Err("バッチファイルを選んでください。")
}

struct FieldRow {
    name: String,
    label: &'static str,
    delivered: String,
    confidence: String,
    reason: String,
    round: &'static str,
    pending: bool,
    verified: String,
    error: String,
    value: String,
}

#[derive(Template)]
#[template(path = "staff_paper_form.html")]
struct VerifyPage {
    layout: Layout,
    id: PaperFormId,
    form_id: String,
    procedure: &'static str,
    target: String,
    status: &'static str,
    reason: String,
    application_id: String,
    fields: Vec<FieldRow>,
    can_key: bool,
    keyed_by_viewer: bool,
    verifying: bool,
    opened_at: String,
    minutes: String,
    notice: String,
    problem: String,
}

/// The Japanese label of a form field (the key itself when the form is new to this list).
fn label(name: &str) -> &'static str {
    match name {
        "monthly_premium_yen" => "掛金月額（円）",
        "decrease_reason" => "減額の理由",
        "bank_code" => "金融機関コード",
        "branch_code" => "支店コード",
        "account_type" => "預金種目",
        "account_number" => "口座番号",
        "account_holder_kana" => "口座名義（カナ）",
        "refund_yen" => "解約手当金の見積額（円）",
        "postcode" => "郵便番号",
        "prefecture" => "都道府県",
        "city" => "市区町村",
        "address_line" => "番地・建物名",
        "phone" => "電話番号",
        "email" => "メールアドレス",
        "holder_name" | "family_name" => "氏名",
        "given_name" => "名",
        "business_name" => "事業所名",
        "payment_frequency" | "frequency" => "払込方法",
        _ => "",
    }
}

fn verify_page(
    signed: &SignedIn,
    v: &PaperFormView,
    now: &str,
    errors: &BTreeMap<String, String>,
    posted: &BTreeMap<String, String>,
    notice: String,
    problem: String,
) -> VerifyPage {
    let verifying = v.status == kyosai_app::paper::PaperFormStatus::Verifying;
    VerifyPage {
        layout: Layout::user(format!("帳票 {} のダブル入力", v.form_id), &signed.user),
        id: v.id,
        form_id: v.form_id.clone(),
        procedure: v.procedure.name_ja(),
        target: v.target.clone(),
        status: v.status.name_ja(),
        reason: v.reason.clone().unwrap_or_default(),
        application_id: v.application_id.map(|i| i.to_string()).unwrap_or_default(),
        fields: v
            .fields
            .iter()
            .map(|f| FieldRow {
                name: f.name.clone(),
                label: label(&f.name),
                delivered: f.delivered.clone(),
                confidence: format!("{:.0}%", f.confidence * 100.0),
                reason: f.verify_reason.clone().unwrap_or_default(),
                round: match f.next_round {
                    Some(1) => "1人目の入力",
                    Some(2) => "2人目の入力（照合）",
                    Some(_) => "3人目の判定（1人目と2人目が不一致）",
                    None => "",
                },
                pending: f.next_round.is_some(),
                verified: f.verified.clone().unwrap_or_default(),
                error: errors.get(&f.name).cloned().unwrap_or_default(),
                value: posted.get(&f.name).cloned().unwrap_or_default(),
            })
            .collect(),
        can_key: verifying && !v.keyed_by_viewer && v.pending().next().is_some(),
        keyed_by_viewer: v.keyed_by_viewer,
        verifying,
        opened_at: now.to_string(),
        minutes: format!("{:.1}", v.entry_seconds as f64 / 60.0),
        notice,
        problem,
    }
}

fn form_id(id: &str) -> Option<PaperFormId> {
    id.parse().ok()
}

#[derive(Deserialize)]
pub struct Keyed {
    keyed: Option<String>,
}

/// The verification screen: the scanned image and the fields to key.
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Keyed>,
) -> Response {
    let Some(id) = form_id(&id) else {
        return not_found_page();
    };
    match state.app.paper_form(&signed.actor, id).await {
        Ok(v) => render(
            StatusCode::OK,
            &verify_page(
                &signed,
                &v,
                &state.app.clock.now_text(),
                &BTreeMap::new(),
                &BTreeMap::new(),
                q.keyed
                    .map(|_| "入力を記録しました。".to_string())
                    .unwrap_or_default(),
                String::new(),
            ),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// Records the operator's keying (`value.{field}` inputs; `opened_at` from the screen).
pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let Some(id) = form_id(&id) else {
        return not_found_page();
    };
    let values: BTreeMap<String, String> = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("value.").map(|f| (f.to_string(), v.clone())))
        .collect();
    let opened_at = form.text("opened_at");
    match state
        .app
        .key_paper_form(&signed.actor, id, &values, &opened_at)
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/paper/forms/{id}?keyed=1")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let v = match state.app.paper_form(&signed.actor, id).await {
                Ok(v) => v,
                Err(e) => return app_error(e, Some(&signed.user)),
            };
            let (status, errors, problem) = match e {
                AppError::Invalid(fs) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    fs.into_iter().map(|f| (f.field, f.message)).collect(),
                    "入力されていない項目があります。".to_string(),
                ),
                AppError::Conflict { message, .. } => {
                    (StatusCode::CONFLICT, BTreeMap::new(), message)
                }
                _ => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    BTreeMap::new(),
                    String::new(),
                ),
            };
            render(
                status,
                &verify_page(
                    &signed,
                    &v,
                    &opened_at,
                    &errors,
                    &values,
                    String::new(),
                    problem,
                ),
            )
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// The scanned image (JPEG or PNG, checked by its magic bytes on import).
pub async fn image(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = form_id(&id) else {
        return not_found_page();
    };
    match state.app.paper_form_image(&signed.actor, id).await {
        Ok((kind, bytes)) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::HeaderName::from_static("x-content-type-options"),
                    "nosniff".to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
