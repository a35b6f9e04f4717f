//! What every page shares: the layout data, rendering with safe headers, message and error pages,
//! and Japanese formatting of dates and amounts.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use kyosai_app::AppError;
use kyosai_app::auth::Principal;

/// The name in the header and in every document title.
pub const SITE_NAME: &str = "共済オンライン手続き";

/// The header of every page: who is logged in, and the page title.
pub struct Layout {
    pub title: String,
    pub signed_in: bool,
    /// Password given, second factor not yet (TOTP set-up or code): the header offers to log
    /// out, not to log in or sign up.
    pub half_signed_in: bool,
    pub staff: bool,
    pub email: String,
}

impl Layout {
    pub fn anonymous(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            signed_in: false,
            half_signed_in: false,
            staff: false,
            email: String::new(),
        }
    }

    /// A page for a fully logged-in user (the header shows their address and a log-out button).
    pub fn user(title: impl Into<String>, user: &Principal) -> Layout {
        Layout {
            title: title.into(),
            signed_in: true,
            half_signed_in: false,
            staff: user.role == "staff",
            email: user.email.clone(),
        }
    }

    /// The document title: `{page}｜{site}`, or the site name alone on the top page.
    pub fn document_title(&self) -> String {
        if self.title == SITE_NAME {
            SITE_NAME.to_string()
        } else {
            format!("{}｜{SITE_NAME}", self.title)
        }
    }

    /// A page between password and second factor.
    pub fn half_signed_in(title: impl Into<String>) -> Layout {
        Layout {
            half_signed_in: true,
            ..Layout::anonymous(title)
        }
    }

    pub fn maybe(title: impl Into<String>, user: Option<&Principal>) -> Layout {
        match user {
            Some(u) => Layout::user(title, u),
            None => Layout::anonymous(title),
        }
    }
}

/// Content-Security-Policy: only our own scripts, styles and forms; QR codes are data: images.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a template as an HTML response. Pages show personal data, so nothing is cached.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut resp = (status, Html(html)).into_response();
            let h = resp.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "システムで問題が発生しました。時間をおいてもう一度お試しください。",
            )
                .into_response()
        }
    }
}

/// A link shown on a message page.
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Link {
        Link {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// A page with a heading, a few paragraphs and links: confirmations and error pages.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
    /// `error` pages get role="alert"-free red framing; `ok` green; empty neutral.
    pub tone: &'static str,
}

pub fn message(status: StatusCode, layout: Layout, text: &str, links: &[(&str, &str)]) -> Response {
    let tone = if status.is_success() { "" } else { "error" };
    render(
        status,
        &MessagePage {
            layout,
            paragraphs: text.split('\n').map(str::to_string).collect(),
            links: links.iter().map(|(h, l)| Link::new(*h, *l)).collect(),
            tone,
        },
    )
}

pub fn not_found_page() -> Response {
    message(
        StatusCode::NOT_FOUND,
        Layout::anonymous("ページが見つかりません"),
        "お探しのページは見つかりませんでした。アドレスが正しいか、もう一度お確かめください。",
        &[("/", "トップページへ"), ("/portal", "マイページへ")],
    )
}

pub fn forbidden_page(user: Option<&Principal>) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Layout::maybe("このページは表示できません", user),
        "このページを表示する権限がありません。別のアカウントでログインしている場合は、ログアウトしてからもう一度お試しください。",
        &[("/", "トップページへ")],
    )
}

/// Maps a use-case error to a page. Field errors are normally shown next to the fields by the
/// handler; reaching here with them means the form could not be shown again.
pub fn app_error(e: AppError, user: Option<&Principal>) -> Response {
    match e {
        AppError::NotFound => not_found_page(),
        AppError::Forbidden(_) => forbidden_page(user),
        AppError::Unauthenticated => axum::response::Redirect::to("/login").into_response(),
        AppError::Conflict { message: m, .. } => message(
            StatusCode::CONFLICT,
            Layout::maybe("処理できませんでした", user),
            &m,
            &[("/portal", "マイページへ")],
        ),
        AppError::Unprocessable { message: m, .. } => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Layout::maybe("処理できませんでした", user),
            &m,
            &[("/portal", "マイページへ")],
        ),
        AppError::Invalid(fields) => {
            let text: Vec<String> = fields.into_iter().map(|f| f.message).collect();
            message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Layout::maybe("入力内容をご確認ください", user),
                &text.join("\n"),
                &[("/portal", "マイページへ")],
            )
        }
        AppError::TooManyAttempts { message: m, .. } => message(
            StatusCode::TOO_MANY_REQUESTS,
            Layout::maybe("しばらくお待ちください", user),
            &m,
            &[("/login", "ログインページへ")],
        ),
        AppError::Store(e) => {
            tracing::error!(error = %e, "store error");
            server_error_page(user)
        }
        AppError::Internal(e) => {
            tracing::error!(error = %kyosai_app::error::chain(&*e), "internal error");
            server_error_page(user)
        }
    }
}

pub fn server_error_page(user: Option<&Principal>) -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        Layout::maybe("システムで問題が発生しました", user),
        "申し訳ありません。システムで問題が発生したため、処理を完了できませんでした。\n入力内容は保存されていないことがあります。時間をおいてもう一度お試しください。",
        &[("/", "トップページへ")],
    )
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// `2026年5月27日（水）`.
pub fn ja_date(d: Date) -> String {
    let wd = match d.weekday() {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    };
    format!(
        "{}年{}月{}日（{}）",
        d.year(),
        d.month(),
        d.day(),
        WEEKDAYS[wd]
    )
}

/// A stored date (`2026-05-27`) in Japanese, or the text as is.
pub fn ja_date_text(s: &str) -> String {
    s.parse::<Date>()
        .map(ja_date)
        .unwrap_or_else(|_| s.to_string())
}

/// A stored timestamp (UTC) as Japan time: `2026年5月27日 14:05`.
pub fn ja_time(s: &str) -> String {
    match s.parse::<Timestamp>() {
        Ok(t) => {
            let dt = kyosai_app::clock::jst().to_datetime(t);
            format!(
                "{}年{}月{}日 {}:{:02}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute()
            )
        }
        Err(_) => s.to_string(),
    }
}

/// `30000` → `30,000円`.
pub fn yen(n: i64) -> String {
    kyosai_domain::Yen::new(n).to_string()
}
