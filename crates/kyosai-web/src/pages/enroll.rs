//! The enrollment wizard, `/enroll/{program}/{step}`: five short steps for a phone screen.
//!
//! Each post saves the draft first (nothing typed is lost, whatever button was pressed), then
//! does what the button asks: look up an address, search banks or branches, go back, or check
//! this step's fields and move on. The last step submits; an error found then is shown on the
//! step its field belongs to. Everything works without JavaScript.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::enrollment::{EnrollmentForm, FormPart, PartCheck};
use kyosai_app::{AppError, Role};
use kyosai_domain::{FieldError, Procedure, Program};

use super::FormData;
use super::bank_picker::{self, Hit};
use super::fields::{
    PremiumRange, Row, STEPS, enrollment_sections, form_field, form_from_values, form_values, rows,
    step_fields, step_of,
};
use super::view::{Layout, app_error, forbidden_page, message, not_found_page, render};
use crate::AppState;
use crate::form_kit::{Section, SummaryItem, summary};
use crate::session::SignedIn;

struct ProgressItem {
    n: u8,
    name: &'static str,
    current: bool,
    done: bool,
}

struct ReviewGroup {
    title: &'static str,
    step: u8,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "enroll_step.html")]
struct StepPage {
    layout: Layout,
    program: &'static str,
    program_name: &'static str,
    step: u8,
    progress: Vec<ProgressItem>,
    notice: String,
    summary: Vec<SummaryItem>,
    intro: String,
    review: Vec<ReviewGroup>,
    sections: Vec<Section>,
    has_extra_buttons: bool,
    bank_name: String,
    bank_query: String,
    bank_searched: bool,
    bank_results: Vec<Hit>,
    branch_name: String,
    branch_query: String,
    branch_searched: bool,
    branch_results: Vec<Hit>,
    branch_message: String,
    submit_label: &'static str,
    next_text: &'static str,
    noted: bool,
}

/// Extra things a step page shows besides the fields.
#[derive(Default)]
struct Extras {
    notice: String,
    bank_query: String,
    bank_results: Option<Vec<Hit>>,
    branch_query: String,
    branch_results: Option<Vec<Hit>>,
    branch_message: String,
    /// The step's notices were shown: the next press goes on.
    noted: bool,
}

fn intro(step: u8, program: Program) -> String {
    match step {
        1 => format!(
            "{}に加入される方ご本人について入力してください。",
            program.name_ja()
        ),
        2 => "事業の内容と事業所の所在地を入力してください。加入できるかどうかは、業種・従業員数・資本金で決まります。".into(),
        3 => "毎月の掛金を決めてください。掛金は加入後に増やしたり減らしたりできます。".into(),
        4 => "掛金を口座振替で引き落とす、ご本人名義の口座を入力してください。".into(),
        _ => "内容をご確認のうえ、確認事項にチェックを入れて申し込んでください。".into(),
    }
}

fn next_text(step: u8) -> &'static str {
    match step {
        1 => {
            "次は「事業」について入力します。「次へ」を押すたびに入力内容を保存するので、途中でやめても続きから再開できます。"
        }
        2 => "次は「掛金」を決めます。",
        3 => "次は掛金を引き落とす「口座」を入力します。",
        4 => "次の「確認」で入力内容をまとめて確認します。まだ申込みは完了していません。",
        _ => {
            "「この内容で申し込む」を押すと、その場で結果が表示されます。問題がなければ共済契約者番号と初回の引落日をお知らせします。職員の確認が必要な場合は、確認後（通常5営業日以内）にメールとマイページでお知らせします。"
        }
    }
}

fn submit_label(step: u8) -> &'static str {
    match step {
        1 => "次へ（事業）",
        2 => "次へ（掛金）",
        3 => "次へ（口座）",
        4 => "次へ（確認）",
        _ => "この内容で申し込む",
    }
}

fn premium_range(state: &AppState, program: Program) -> Result<PremiumRange, AppError> {
    Ok(PremiumRange::of(&*state.app.rules_for(program)?))
}

fn review_groups(program: Program, values: &BTreeMap<String, String>) -> Vec<ReviewGroup> {
    let mut groups: Vec<ReviewGroup> = (1..=4u8)
        .map(|s| ReviewGroup {
            title: STEPS[usize::from(s - 1)].0,
            step: s,
            rows: rows(program, s, values),
        })
        .collect();
    // The holder name as the bank will receive it (Zengin half-width katakana).
    let holder = values
        .get("account_holder_kana")
        .map(String::as_str)
        .unwrap_or("");
    let zengin = match kyosai_zengin::to_zengin_kana(holder) {
        Ok(k) if !holder.trim().is_empty() => k,
        _ => "（変換できません。口座名義をご確認ください）".into(),
    };
    if let Some(g) = groups.get_mut(3) {
        g.rows.push(Row {
            label: "口座名義（金融機関への登録表記）".into(),
            value: zengin,
        });
    }
    groups.insert(
        0,
        ReviewGroup {
            title: "申し込む共済",
            step: 0,
            rows: vec![Row {
                label: "共済".into(),
                value: program.name_ja().into(),
            }],
        },
    );
    groups
}

fn step_page(
    state: &AppState,
    signed: &SignedIn,
    program: Program,
    step: u8,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    extras: Extras,
) -> Result<StepPage, AppError> {
    let premium = premium_range(state, program)?;
    let sections = enrollment_sections(program, step, values, errors, &premium, "f-");
    let all_fields: Vec<_> = sections.iter().flat_map(|s| s.fields.iter()).collect();
    let mut summary = summary(all_fields.iter().copied());
    // Errors about no field on this page (e.g. "already a member") are listed without a link.
    for e in errors {
        let name = form_field(&e.field);
        if !all_fields.iter().any(|f| f.name == name) {
            summary.push(SummaryItem {
                href: String::new(),
                message: e.message.clone(),
            });
        }
    }
    let (bank_name, branch_name) = bank_picker::chosen_names(values);
    Ok(StepPage {
        layout: Layout::user(STEPS[usize::from(step - 1)].1, &signed.user),
        program: path_segment(program),
        program_name: program.name_ja(),
        step,
        progress: (1..=5u8)
            .map(|n| ProgressItem {
                n,
                name: STEPS[usize::from(n - 1)].0,
                current: n == step,
                done: n < step,
            })
            .collect(),
        notice: extras.notice,
        summary,
        intro: intro(step, program),
        review: if step == 5 {
            review_groups(program, values)
        } else {
            Vec::new()
        },
        sections,
        has_extra_buttons: matches!(step, 2 | 4),
        bank_name,
        bank_query: extras.bank_query,
        bank_searched: extras.bank_results.is_some(),
        bank_results: extras.bank_results.unwrap_or_default(),
        branch_name,
        branch_query: extras.branch_query,
        branch_searched: extras.branch_results.is_some(),
        branch_results: extras.branch_results.unwrap_or_default(),
        branch_message: extras.branch_message,
        submit_label: submit_label(step),
        next_text: next_text(step),
        noted: extras.noted,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "every part of an enrollment step page; bundling them would only rename the list"
)]
fn show(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    program: Program,
    step: u8,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    extras: Extras,
) -> Response {
    match step_page(state, signed, program, step, values, errors, extras) {
        Ok(page) => render(status, &page),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// A program as a path segment: `small-enterprise`, `safety-net`, as in `/calculators/…`.
pub(crate) fn path_segment(program: Program) -> &'static str {
    match program {
        Program::SmallEnterprise => "small-enterprise",
        Program::SafetyNet => "safety-net",
    }
}

/// A program from a path segment, and whether it was the old spelling (`safety_net`), which is
/// redirected to the current one so old links and bookmarks keep working.
fn program_of_segment(segment: &str) -> Option<(Program, bool)> {
    let program = Program::parse(&segment.replace('-', "_"))?;
    Some((program, segment != path_segment(program)))
}

/// Program, step and whether the path is the old spelling; None for anything else (404).
fn parse_path(program: &str, step: &str) -> Option<(Program, u8, bool)> {
    let (program, old) = program_of_segment(program)?;
    let step = step.parse::<u8>().ok().filter(|s| (1..=5).contains(s))?;
    Some((program, step, old))
}

/// The step's address in the current spelling (308 keeps a POST a POST).
fn moved(program: Program, step: u8) -> Response {
    Redirect::permanent(&format!("/enroll/{}/{step}", path_segment(program))).into_response()
}

pub async fn start(signed: SignedIn, Path(program): Path<String>) -> Response {
    if signed.actor.role != Role::Member {
        return forbidden_page(Some(&signed.user));
    }
    match program_of_segment(&program) {
        Some((p, _)) => Redirect::to(&format!("/enroll/{}/1", path_segment(p))).into_response(),
        None => not_found_page(),
    }
}

pub async fn show_step(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((program, step)): Path<(String, String)>,
) -> Response {
    let Some((program, step, old)) = parse_path(&program, &step) else {
        return not_found_page();
    };
    if old {
        return moved(program, step);
    }
    if signed.actor.role != Role::Member {
        return forbidden_page(Some(&signed.user));
    }
    match already_member(&state, &signed, program).await {
        Ok(Some(page)) => return page,
        Ok(None) => {}
        Err(e) => return app_error(e, Some(&signed.user)),
    }
    let draft = match state.app.load_draft(signed.user.id, program).await {
        Ok(d) => d,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    show(
        &state,
        &signed,
        StatusCode::OK,
        program,
        step,
        &form_values(&draft),
        &[],
        Extras::default(),
    )
}

/// A member who already holds a contract of `program` cannot hold a second one: say so before
/// the five steps, not at the submit of the last one (which refuses it all the same).
async fn already_member(
    state: &AppState,
    signed: &SignedIn,
    program: Program,
) -> Result<Option<Response>, AppError> {
    let overview = state.app.overview(&signed.actor, signed.user.id).await?;
    let Some(c) = overview
        .contracts
        .iter()
        .find(|c| c.program == program && c.status == kyosai_domain::ContractStatus::Active)
    else {
        return Ok(None);
    };
    Ok(Some(message(
        StatusCode::CONFLICT,
        Layout::user("すでにご加入です", &signed.user),
        &format!(
            "{}には、すでにご加入です（共済契約者番号 {}）。同じ共済に重ねて加入することはできません。\n掛金月額の変更などは、共済相談室にご相談ください。",
            program.name_ja(),
            c.number
        ),
        &[("/portal", "マイページへ")],
    )))
}

/// The check of one step: its fields' parser and the rules about them, by the same functions
/// as the final submit ([`EnrollmentForm::check_part`]), so a company too large for the program
/// hears it at the business step, not after entering its bank account. Errors about a field of
/// another step are left to that step.
fn step_check(
    state: &AppState,
    program: Program,
    step: u8,
    form: &EnrollmentForm,
) -> Result<PartCheck, AppError> {
    let part = match step {
        1 => FormPart::Applicant,
        2 => FormPart::Business,
        3 => FormPart::Premium,
        4 => FormPart::Account,
        _ => return Ok(PartCheck::default()),
    };
    let rules = state.app.rules_for(program)?;
    let mut found = form.check_part(part, &rules, state.app.clock.today());
    found
        .errors
        .retain(|e| step_fields(step).contains(&form_field(&e.field)));
    Ok(found)
}

/// Fills prefecture, city and town from the postcode (Japan Post data, no JavaScript needed).
pub(super) fn lookup_postcode(values: &mut BTreeMap<String, String>) -> Result<String, FieldError> {
    let code = values.get("postcode").cloned().unwrap_or_default();
    let not_found = || {
        FieldError::new(
            "postcode",
            "unknown",
            "郵便番号が見つかりません。7桁の郵便番号をお確かめください。",
        )
    };
    let normalized = kyosai_refdata::normalize_postcode(&code).ok_or_else(not_found)?;
    let hits = kyosai_refdata::postcode(&normalized);
    let first = hits.first().ok_or_else(not_found)?;
    values.insert("postcode".into(), normalized);
    values.insert("prefecture".into(), first.prefecture.to_string());
    values.insert("city".into(), first.city.to_string());
    let towns: Vec<&str> = hits
        .iter()
        .filter(|h| h.city == first.city)
        .map(|h| h.town)
        .collect();
    let town = if towns.len() == 1 { towns[0] } else { "" };
    let line = values.get("address_line").cloned().unwrap_or_default();
    if !town.is_empty() && !line.starts_with(town) {
        values.insert("address_line".into(), format!("{town}{}", first.street));
    }
    Ok(if town.is_empty() {
        format!(
            "{}{}を入力しました。続けて町名・番地を入力してください。",
            first.prefecture, first.city
        )
    } else {
        format!(
            "{}{}{}を入力しました。続けて番地・建物名を入力してください。",
            first.prefecture, first.city, town
        )
    })
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((program, step)): Path<(String, String)>,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let Some((program, step, old)) = parse_path(&program, &step) else {
        return not_found_page();
    };
    if old {
        return moved(program, step);
    }
    if signed.actor.role != Role::Member {
        return forbidden_page(Some(&signed.user));
    }
    match handle_post(&state, &signed, program, step, &headers, &form).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    program: Program,
    step: u8,
    headers: &HeaderMap,
    form: &FormData,
) -> Result<Response, AppError> {
    let draft = state.app.load_draft(signed.user.id, program).await?;
    let mut values = form_values(&draft);
    values.insert("program".into(), program.as_str().into());
    for name in step_fields(step) {
        match form.get(name).map(str::trim) {
            Some(v) if !v.is_empty() => {
                values.insert((*name).to_string(), v.to_string());
            }
            _ => {
                values.remove(*name);
            }
        }
    }
    let mut extras = Extras::default();
    let mut errors = Vec::new();
    if let Some(notice) = bank_picker::apply_pick(form, &mut values) {
        extras.notice = notice;
    }
    // Stored normalised (kana, digits, dates in one form), so every page after shows what the
    // checks read.
    let draft = form_from_values(&values).normalized();
    state
        .app
        .save_draft(signed.user.id, program, &draft)
        .await?;
    // The online completion rate counts how far members get before they stop (issue #14).
    state
        .app
        .record_journey_step(signed.user.id, program, Procedure::Enrollment, step)
        .await?;
    let values = form_values(&draft);
    if step == 4
        && let Some(fragment) = bank_picker::search_fragment(headers, form, &values)
    {
        return Ok(fragment);
    }
    if bank_picker::is_pick(form) {
        return Ok(show(
            state,
            signed,
            StatusCode::OK,
            program,
            step,
            &values,
            &[],
            extras,
        ));
    }
    let action = form.get("action").unwrap_or("next");
    let base = format!("/enroll/{}", path_segment(program));
    match action {
        "back" => {
            Ok(Redirect::to(&format!("{base}/{}", step.saturating_sub(1).max(1))).into_response())
        }
        "postcode" if step == 2 => {
            let mut values = values;
            match lookup_postcode(&mut values) {
                Ok(notice) => {
                    let draft = form_from_values(&values);
                    state
                        .app
                        .save_draft(signed.user.id, program, &draft)
                        .await?;
                    extras.notice = notice;
                }
                Err(e) => errors.push(e),
            }
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(show(
                state, signed, status, program, step, &values, &errors, extras,
            ))
        }
        "bank_search" if step == 4 => {
            let q = form.text("bank_query").trim().to_string();
            extras.bank_results = Some(bank_picker::banks(&q));
            extras.bank_query = q;
            Ok(show(
                state,
                signed,
                StatusCode::OK,
                program,
                step,
                &values,
                &[],
                extras,
            ))
        }
        "branch_search" if step == 4 => {
            let q = form.text("branch_query").trim().to_string();
            let (hits, message) = bank_picker::branches(&values, &q);
            extras.branch_message = message;
            extras.branch_results = Some(hits);
            extras.branch_query = q;
            Ok(show(
                state,
                signed,
                StatusCode::OK,
                program,
                step,
                &values,
                &[],
                extras,
            ))
        }
        "submit" if step == 5 => submit(state, signed, program, &draft, &values).await,
        _ => {
            let found = step_check(state, program, step, &draft)?;
            // A rule staff will look at (a minor, a co-manager) is said once on its step; the
            // member goes on with the next press.
            let noted = form.get("noted") == Some("1");
            if found.errors.is_empty() && (found.notices.is_empty() || noted) {
                return Ok(Redirect::to(&format!("{base}/{}", (step + 1).min(5))).into_response());
            }
            let status = if found.errors.is_empty() {
                extras.noted = true;
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            if !found.notices.is_empty() {
                extras.notice = format!(
                    "{}このまま「次へ」を押して進めます。",
                    found.notices.join("")
                );
            }
            Ok(show(
                state,
                signed,
                status,
                program,
                step,
                &values,
                &found.errors,
                extras,
            ))
        }
    }
}

async fn submit(
    state: &AppState,
    signed: &SignedIn,
    program: Program,
    draft: &EnrollmentForm,
    values: &BTreeMap<String, String>,
) -> Result<Response, AppError> {
    match state
        .app
        .submit_enrollment(&signed.actor, signed.user.id, draft)
        .await
    {
        Ok(result) => Ok(
            Redirect::to(&format!("/applications/{}?new=1", result.application_id)).into_response(),
        ),
        Err(AppError::Invalid(errors)) => {
            // Show the first step that has a problem, with all of that step's messages.
            let step = errors.iter().map(|e| step_of(&e.field)).min().unwrap_or(5);
            let errors: Vec<FieldError> = errors
                .into_iter()
                .filter(|e| step_of(&e.field) == step)
                .collect();
            let extras = Extras {
                notice: if step < 5 {
                    "まだ申込みは完了していません。次の項目を直してから、もう一度「確認」へ進んでください。".into()
                } else {
                    String::new()
                },
                ..Extras::default()
            };
            Ok(show(
                state,
                signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                program,
                step,
                values,
                &errors,
                extras,
            ))
        }
        Err(AppError::Conflict { message, .. }) => Ok(show(
            state,
            signed,
            StatusCode::CONFLICT,
            program,
            5,
            values,
            &[FieldError::new("application", "conflict", message)],
            Extras::default(),
        )),
        Err(e) => Err(e),
    }
}
