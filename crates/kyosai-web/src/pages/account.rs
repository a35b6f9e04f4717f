//! Landing page, sign-up, e-mail verification, login with TOTP, TOTP set-up and logout. The
//! session id is replaced at every step (password, then second factor), so a session id seen
//! before login is worth nothing after it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::auth::Principal;
use kyosai_app::ja_text::ja_yen_man;
use kyosai_domain::rules::RuleSet;
use kyosai_domain::{FieldError, Program, UserId};
use serde::Deserialize;

use super::FormData;
use super::view::{Layout, Link, SITE_NAME, app_error, message, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::{MaybeUser, clear_cookie, set_cookie};

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    layout: Layout,
    /// `1,000円から70,000円まで、500円単位`, from the rule set in force.
    se_premiums: String,
    sn_premiums: String,
    /// `10倍（上限8,000万円）`.
    sn_loan_limit: String,
}

pub async fn landing(State(s): State<AppState>, MaybeUser(user, _): MaybeUser) -> Response {
    let signed_in = match &user {
        Some((u, true)) => Some(u),
        _ => None,
    };
    let layout = match signed_in {
        Some(u) => Layout::user(SITE_NAME, u),
        None => Layout::anonymous(SITE_NAME),
    };
    let (se, sn) = match (
        s.app.rules_for(Program::SmallEnterprise),
        s.app.rules_for(Program::SafetyNet),
    ) {
        (Ok(se), Ok(sn)) => (se, sn),
        (Err(e), _) | (_, Err(e)) => return app_error(e, signed_in),
    };
    let premiums = |r: &RuleSet| {
        let p = &r.premium;
        format!(
            "{}から{}まで、{}単位",
            p.min_monthly_yen.value, p.max_monthly_yen.value, p.step_yen.value
        )
    };
    let sn_loan_limit = sn
        .safety_net
        .as_ref()
        .map(|r| {
            format!(
                "{}倍（上限{}）",
                r.bankruptcy_loan.premium_multiple.value,
                ja_yen_man(r.bankruptcy_loan.outstanding_cap_yen.value)
            )
        })
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &LandingPage {
            layout,
            se_premiums: premiums(&se),
            sn_premiums: premiums(&sn),
            sn_loan_limit,
        },
    )
}

/// Sign-up, login and TOTP forms share one template.
#[derive(Template)]
#[template(path = "auth_form.html")]
struct AuthForm {
    layout: Layout,
    step_label: String,
    notice: String,
    summary: Vec<SummaryItem>,
    intro: Vec<String>,
    qr_png_base64: String,
    /// `otpauth://…`: opens the authenticator app on the phone showing this page, which cannot
    /// scan its own screen.
    otpauth_url: String,
    secret_groups: String,
    action: &'static str,
    fields: Vec<Field>,
    submit: &'static str,
    after: Vec<String>,
    links: Vec<Link>,
}

impl AuthForm {
    fn new(title: &str, action: &'static str, fields: Vec<Field>, submit: &'static str) -> Self {
        let summary = summary(&fields);
        AuthForm {
            layout: Layout::anonymous(title),
            step_label: String::new(),
            notice: String::new(),
            summary,
            intro: Vec::new(),
            qr_png_base64: String::new(),
            otpauth_url: String::new(),
            secret_groups: String::new(),
            action,
            fields,
            submit,
            after: Vec::new(),
            links: Vec::new(),
        }
    }
}

fn error_for(errors: &[FieldError], field: &str) -> String {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
        .unwrap_or_default()
}

/// Where a fully logged-in user starts.
pub fn home(user: &Principal) -> &'static str {
    if user.role == "staff" {
        "/staff"
    } else {
        "/portal"
    }
}

fn secure(state: &AppState) -> bool {
    state.app.public_url.starts_with("https")
}

/// Replaces the session: a new id with the new state, the old one deleted.
async fn rotate(
    state: &AppState,
    old: Option<&str>,
    user_id: UserId,
    mfa_done: bool,
    to: &str,
) -> Result<Response, AppError> {
    let id = state.app.create_session(user_id, mfa_done).await?;
    if let Some(old) = old {
        state.app.end_session(old).await?;
    }
    Ok((
        AppendHeaders([(header::SET_COOKIE, set_cookie(&id, secure(state)))]),
        Redirect::to(to),
    )
        .into_response())
}

const PASSWORD_POLICY: &str = kyosai_app::password_policy::POLICY_JA;

fn signup_page(email: &str, errors: &[FieldError]) -> AuthForm {
    let fields = vec![
        Field::text("email", "メールアドレス")
            .input_type("email")
            .autocomplete("email")
            .hint("確認用のメールをお送りします。")
            .maxlength(254)
            .value(email)
            .error(error_for(errors, "email")),
        Field::text("password", "パスワード")
            .input_type("password")
            .autocomplete("new-password")
            .hint(PASSWORD_POLICY)
            .maxlength(128)
            .error(error_for(errors, "password")),
    ];
    let mut page = AuthForm::new(
        "新規登録",
        "/signup",
        fields,
        "登録して確認メールを受け取る",
    );
    page.step_label = "新規登録：1／3（メールアドレスとパスワード）".into();
    page.intro = vec![
        "共済のオンライン手続きに使うアカウントを作成します。".into(),
        "次に、届いたメールのリンクを開いてメールアドレスを確認し、最後にスマートフォンの認証アプリで二段階認証を設定します。".into(),
    ];
    page.links = vec![Link::new("/login", "すでに登録済みの方はログイン")];
    page
}

pub async fn signup_form(MaybeUser(user, _): MaybeUser) -> Response {
    if let Some((u, true)) = &user {
        return Redirect::to(home(u)).into_response();
    }
    render(StatusCode::OK, &signup_page("", &[]))
}

pub async fn signup_submit(State(state): State<AppState>, form: FormData) -> Response {
    let email = form.text("email");
    match state.app.sign_up(&email, &form.text("password")).await {
        Ok(_) => message(
            StatusCode::OK,
            Layout::anonymous("確認メールを送信しました"),
            &format!(
                "新規登録：2／3（メールアドレスの確認）\n{email} あてに確認用のメールを送信しました。\nメールに記載のリンクを{}時間以内に開いて、メールアドレスの確認を完了してください。確認が済むとログインできます。\nメールが届かない場合は、迷惑メールのフォルダもご確認ください。",
                kyosai_app::auth::VERIFICATION_HOURS
            ),
            &[("/", "トップページへ")],
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &signup_page(&email, &errors),
        ),
        Err(e) => app_error(e, None),
    }
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    token: String,
}

pub async fn verify(State(state): State<AppState>, Query(q): Query<VerifyQuery>) -> Response {
    match state.app.verify_email(&q.token).await {
        Ok(_) => message(
            StatusCode::OK,
            Layout::anonymous("メールアドレスを確認しました"),
            "新規登録：3／3（二段階認証の設定）\nメールアドレスの確認が完了しました。ログインすると、続けて二段階認証（認証アプリ）を設定します。",
            &[("/login", "ログインする")],
        ),
        Err(AppError::Invalid(errors)) => message(
            StatusCode::BAD_REQUEST,
            Layout::anonymous("確認用リンクが無効です"),
            &errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("\n"),
            &[("/signup", "もう一度登録する"), ("/login", "ログイン")],
        ),
        Err(e) => app_error(e, None),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    logged_out: Option<String>,
}

fn login_page(email: &str, errors: &[FieldError]) -> AuthForm {
    let fields = vec![
        Field::text("email", "メールアドレス")
            .input_type("email")
            .autocomplete("username")
            .maxlength(254)
            .value(email)
            .error(error_for(errors, "email")),
        Field::text("password", "パスワード")
            .input_type("password")
            .autocomplete("current-password")
            .maxlength(128)
            .error(error_for(errors, "password")),
    ];
    let mut page = AuthForm::new("ログイン", "/login", fields, "次へ");
    page.step_label = "ログイン：1／2（メールアドレスとパスワード）".into();
    page.intro = vec!["次の画面で、認証アプリに表示される6桁の確認コードを入力します。".into()];
    page.links = vec![
        Link::new("/signup", "はじめての方は新規登録"),
        Link::new("/password/forgot", "パスワードをお忘れの方"),
    ];
    page.after = vec!["会員の方も職員の方も、こちらからログインします。".into()];
    page
}

pub async fn login_form(MaybeUser(user, _): MaybeUser, Query(q): Query<LoginQuery>) -> Response {
    if let Some((u, true)) = &user {
        return Redirect::to(home(u)).into_response();
    }
    let mut page = login_page("", &[]);
    if q.logged_out.is_some() {
        page.notice = "ログアウトしました。".into();
    }
    render(StatusCode::OK, &page)
}

pub async fn login_submit(
    State(state): State<AppState>,
    MaybeUser(_, old): MaybeUser,
    form: FormData,
) -> Response {
    let email = form.text("email");
    match state
        .app
        .check_credentials(&email, &form.text("password"))
        .await
    {
        Ok(user) => {
            let next = if user.totp_enabled {
                "/login/totp"
            } else {
                "/account/totp"
            };
            rotate(&state, old.as_deref(), user.id, false, next)
                .await
                .unwrap_or_else(|e| app_error(e, None))
        }
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &login_page(&email, &errors),
        ),
        Err(e) => app_error(e, None),
    }
}

fn code_field(errors: &[FieldError]) -> Field {
    Field::text("totp_code", "確認コード（6桁）")
        .numeric()
        .autocomplete("one-time-code")
        .hint("認証アプリに表示されている6桁の数字")
        .width("w-4")
        .maxlength(16)
        .error(error_for(errors, "totp_code"))
}

fn login_totp_page(errors: &[FieldError]) -> AuthForm {
    let mut page = AuthForm::new(
        "確認コードの入力",
        "/login/totp",
        vec![code_field(errors)],
        "ログイン",
    );
    page.layout = Layout::half_signed_in("確認コードの入力");
    page.step_label = "ログイン：2／2（二段階認証）".into();
    page.intro = vec![
        "認証アプリを開き、「共済」（Kyosai）に表示されている6桁のコードを入力してください。コードは30秒ごとに変わります。".into(),
        "スマートフォンをなくした場合は、保管している回復用コード（例：abcd-efgh-jkmn）を入力できます。".into(),
    ];
    page
}

/// The half-logged-in user (password given, second factor not yet).
fn pending_user(user: Option<(Principal, bool)>) -> Result<Principal, Redirect> {
    match user {
        Some((u, false)) => Ok(u),
        Some((u, true)) => Err(Redirect::to(home(&u))),
        None => Err(Redirect::to("/login")),
    }
}

pub async fn login_totp_form(MaybeUser(user, _): MaybeUser) -> Response {
    let user = match pending_user(user) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if !user.totp_enabled {
        return Redirect::to("/account/totp").into_response();
    }
    render(StatusCode::OK, &login_totp_page(&[]))
}

pub async fn login_totp_submit(
    State(state): State<AppState>,
    MaybeUser(user, old): MaybeUser,
    form: FormData,
) -> Response {
    let user = match pending_user(user) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    match state
        .app
        .login_second_factor(user.id, &form.text("totp_code"), old.as_deref())
        .await
    {
        Ok(()) => match state.app.record_login(user.id, "pages").await {
            Ok(()) => rotate(&state, old.as_deref(), user.id, true, home(&user))
                .await
                .unwrap_or_else(|e| app_error(e, None)),
            Err(e) => app_error(e, None),
        },
        Err(AppError::Invalid(errors)) => {
            render(StatusCode::UNPROCESSABLE_ENTITY, &login_totp_page(&errors))
        }
        Err(e) => app_error(e, None),
    }
}

/// `ABCD EFGH …`: easier to copy by hand.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn totp_setup_page(
    state: &AppState,
    user: &Principal,
    errors: &[FieldError],
) -> Result<AuthForm, AppError> {
    let setup = state.app.totp_setup(user.id).await?;
    let mut page = AuthForm::new(
        "二段階認証の設定",
        "/account/totp",
        vec![code_field(errors)],
        "設定を完了する",
    );
    page.layout = Layout::half_signed_in("二段階認証の設定");
    page.step_label = "はじめてのログイン：二段階認証の設定（1回だけ）".into();
    page.intro = vec!["ログインのたびに、パスワードに加えてスマートフォンの認証アプリに表示される確認コードを使います。第三者による不正なログインを防ぐためです。".into()];
    page.qr_png_base64 = setup.qr_png_base64;
    page.otpauth_url = setup.otpauth_url;
    page.secret_groups = grouped(&setup.secret);
    page.after =
        vec!["設定が終わると、マイページが開きます。そこから共済への加入を申し込めます。".into()];
    Ok(page)
}

pub async fn totp_setup_form(
    State(state): State<AppState>,
    MaybeUser(user, _): MaybeUser,
) -> Response {
    let user = match pending_user(user) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if user.totp_enabled {
        return Redirect::to("/login/totp").into_response();
    }
    match totp_setup_page(&state, &user, &[]).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => app_error(e, None),
    }
}

pub async fn totp_setup_submit(
    State(state): State<AppState>,
    MaybeUser(user, old): MaybeUser,
    form: FormData,
) -> Response {
    let user = match pending_user(user) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    match state
        .app
        .confirm_totp(user.id, &form.text("totp_code"))
        .await
    {
        Ok(()) => {
            let to = if user.role == "staff" {
                "/staff"
            } else {
                "/portal?totp=1"
            };
            match state.app.record_login(user.id, "pages").await {
                Ok(()) => rotate(&state, old.as_deref(), user.id, true, to)
                    .await
                    .unwrap_or_else(|e| app_error(e, None)),
                Err(e) => app_error(e, None),
            }
        }
        Err(AppError::Invalid(errors)) => match totp_setup_page(&state, &user, &errors).await {
            Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
            Err(e) => app_error(e, None),
        },
        Err(e) => app_error(e, None),
    }
}

pub async fn logout(State(state): State<AppState>, MaybeUser(_, cookie): MaybeUser) -> Response {
    if let Some(c) = cookie
        && let Err(e) = state.app.logout(&c).await
    {
        return app_error(e, None);
    }
    (
        AppendHeaders([(header::SET_COOKIE, clear_cookie())]),
        Redirect::to("/login?logged_out=1"),
    )
        .into_response()
}

/// `/password/forgot`: the address to send a reset link to (issue #15 item 5).
fn forgot_page(email: &str, errors: &[FieldError]) -> AuthForm {
    let fields = vec![
        Field::text("email", "メールアドレス")
            .input_type("email")
            .autocomplete("email")
            .maxlength(254)
            .value(email)
            .error(error_for(errors, "email")),
    ];
    let mut page = AuthForm::new(
        "パスワードの再設定",
        "/password/forgot",
        fields,
        "再設定用のメールを受け取る",
    );
    page.intro =
        vec!["ご登録のメールアドレスに、パスワードを再設定するためのリンクをお送りします。".into()];
    page.links = vec![Link::new("/login", "ログインに戻る")];
    page
}

pub async fn forgot_form() -> Response {
    render(StatusCode::OK, &forgot_page("", &[]))
}

/// The same answer whether or not the address has an account.
pub async fn forgot_submit(State(state): State<AppState>, form: FormData) -> Response {
    let email = form.text("email");
    match state.app.request_password_reset(&email).await {
        Ok(()) => message(
            StatusCode::OK,
            Layout::anonymous("再設定用のメールを送信しました"),
            &format!(
                "ご登録があれば、{email} あてに再設定用のメールを送信しました。\nメールに記載のリンクを{}分以内に開いてください。",
                kyosai_app::account_recovery::RESET_MINUTES
            ),
            &[("/login", "ログインページへ")],
        ),
        Err(e) => app_error(e, None),
    }
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

fn reset_page(token: &str, errors: &[FieldError]) -> AuthForm {
    let fields = vec![
        Field::text("token", "再設定コード（メールのリンクに含まれています）")
            .autocomplete("off")
            .maxlength(100)
            .value(token)
            .error(error_for(errors, "token")),
        Field::text("password", "新しいパスワード")
            .input_type("password")
            .autocomplete("new-password")
            .hint(PASSWORD_POLICY)
            .maxlength(128)
            .error(error_for(errors, "password")),
    ];
    let mut page = AuthForm::new(
        "新しいパスワードの設定",
        "/password/reset",
        fields,
        "パスワードを変更する",
    );
    page.links = vec![Link::new(
        "/password/forgot",
        "再設定のメールをもう一度受け取る",
    )];
    page
}

pub async fn reset_form(Query(q): Query<ResetQuery>) -> Response {
    render(StatusCode::OK, &reset_page(&q.token, &[]))
}

pub async fn reset_submit(State(state): State<AppState>, form: FormData) -> Response {
    let token = form.text("token");
    match state
        .app
        .reset_password(&token, &form.text("password"))
        .await
    {
        Ok(()) => message(
            StatusCode::OK,
            Layout::anonymous("パスワードを変更しました"),
            "新しいパスワードでログインしてください。",
            &[("/login", "ログインページへ")],
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &reset_page(&token, &errors),
        ),
        Err(e) => app_error(e, None),
    }
}
