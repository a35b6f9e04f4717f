//! What the page tests share: the router on a real port over a given store, a browser-like
//! client with a cookie jar (no JavaScript), and users logged in through the pages with TOTP.

// Not `expect`: a binary that happens to use every item would then warn.
#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::net::SocketAddr;

use kyosai_app::auth::totp_code;
use kyosai_app::{Actor, App, Clock, Role};
use reqwest::StatusCode;

pub const PASSWORD: &str = "correct horse 2026";
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// A running site, the app behind it (for setting data up) and its store (for looking into the
/// database).
pub struct Site {
    pub base: String,
    pub app: App,
    pub store: kyosai_store::Store,
}

/// Serves the router for `store` on a free loopback port, with `clock`.
pub async fn spawn(store: kyosai_store::Store, clock: Clock) -> Site {
    serve(store, clock, kyosai_web::router).await
}

/// [`spawn`] with other rate limits.
pub async fn spawn_with(
    store: kyosai_store::Store,
    clock: Clock,
    limits: kyosai_web::RateLimits,
) -> Site {
    serve(store, clock, move |app| {
        kyosai_web::router_with(app, limits)
    })
    .await
}

/// [`spawn`], with billing runs started from the staff screens writing into `billing_out`.
pub async fn spawn_with_billing_out(
    store: kyosai_store::Store,
    clock: Clock,
    billing_out: std::path::PathBuf,
) -> Site {
    serve(store, clock, move |app| {
        kyosai_web::router_with_billing(app, kyosai_web::RateLimits::from_env(), Some(billing_out))
    })
    .await
}

async fn serve(
    store: kyosai_store::Store,
    clock: Clock,
    router: impl FnOnce(App) -> axum::Router,
) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Evidence uploads go to a fresh folder per site (never the served tree).
    let evidence = std::env::temp_dir().join(format!(
        "kyosai-web-evidence-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let app = App::new(store.clone(), clock, base.clone())
        .unwrap()
        .with_evidence(kyosai_app::evidence::EvidenceConfig {
            dir: Some(evidence),
            max_bytes: 1024 * 1024,
        });
    let router = router(app.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Site { base, app, store }
}

/// A client that keeps cookies and follows redirects, like a browser without JavaScript.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Status, the final path with its query (after redirects) and body of a response.
pub async fn read(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let url = format!(
        "{}{}",
        r.url().path(),
        r.url().query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    (status, url, r.text().await.unwrap())
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Status and body.
    pub async fn get(&self, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let r = c.get(self.url(path)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Status, the final path with its query (after redirects) and body.
    pub async fn post(
        &self,
        c: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        read(c.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    /// A `multipart/form-data` post of one file in `field`, as a browser sends it (the bytes
    /// as they are): status, the final path with its query, and body.
    pub async fn upload(
        &self,
        c: &reqwest::Client,
        path: &str,
        field: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> (StatusCode, String, String) {
        self.post_multipart(c, path, &[], Some((field, file_name, bytes)))
            .await
    }

    /// A `multipart/form-data` post of text fields and at most one file (field, file name,
    /// bytes), as a browser sends a form with a file input.
    pub async fn post_multipart(
        &self,
        c: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> (StatusCode, String, String) {
        let boundary = "----kyosai-upload-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, file_name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = c
            .post(self.url(path))
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        read(r).await
    }

    /// An account with TOTP on, made by an operator and logged in through the pages (the code
    /// is computed at the app's clock).
    pub async fn login(&self, role: Role, email: &str) -> (reqwest::Client, Actor) {
        let id = self
            .app
            .create_account(role, email, "テスト", Some(PASSWORD))
            .await
            .unwrap();
        let mut tx = self.store.begin_write().await.unwrap();
        kyosai_store::users::set_totp_secret(tx.conn(), id, TOTP_SECRET)
            .await
            .unwrap();
        kyosai_store::users::enable_totp(tx.conn(), id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let c = browser();
        let (_, url, _) = self
            .post(&c, "/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(url, "/login/totp");
        let code = totp_code(TOTP_SECRET, email, self.app.clock.now()).unwrap();
        let (s, _, body) = self
            .post(&c, "/login/totp", &[("totp_code", code.as_str())])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        (c, Actor { user_id: id, role })
    }
}

/// A copy of `app` whose clock stands still at `ts` (an RFC 3339 instant).
pub fn on(app: &App, ts: &str) -> App {
    let mut a = app.clone();
    a.clock = Clock::Fixed(ts.parse().unwrap());
    a
}

/// The `n` column of a one-row count query against the site's database.
pub async fn count(site: &Site, sql: &str) -> i64 {
    let mut c = site.store.read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    kyosai_store::Row::try_get(&row, "n").unwrap()
}

/// Bills every month from `first` to `last` (`YYYY-MM`) at the instant `at`, and collects every
/// debit through the bank simulator: premiums paid, as the real cycle records them.
pub async fn months_collected(site: &Site, at: &str, first: &str, last: &str) {
    months_billed(site, at, first, last, true).await;
}

/// [`months_collected`], with every debit collected or every debit failed (insufficient funds).
pub async fn months_billed(site: &Site, at: &str, first: &str, last: &str, collected: bool) {
    let app = on(&site.app, at);
    let mut m: kyosai_domain::YearMonth = first.parse().unwrap();
    let last: kyosai_domain::YearMonth = last.parse().unwrap();
    while m <= last {
        let out = std::env::temp_dir().join(format!(
            "kyosai-web-collected-{}-{m}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        ));
        std::fs::create_dir_all(&out).unwrap();
        let runs = app
            .billing_run(
                m,
                None,
                &out,
                &kyosai_app::billing::RunOptions::default(),
                &|_| {},
            )
            .await
            .unwrap();
        for f in runs.iter().flat_map(|r| r.files.iter()) {
            let bytes = std::fs::read(&f.path).unwrap();
            let result = kyosai_app::dev::bank_simulator::simulate_bank(
                &bytes,
                if collected { 0.0 } else { 1.0 },
                &[(kyosai_zengin::debit::ResultCode::InsufficientFunds, 1.0)],
                1,
            )
            .unwrap();
            app.import_result_file(&format!("{}.result", f.name), &result, "test")
                .await
                .unwrap();
        }
        m = m.plus(1);
    }
}

/// The text of a PDF as poppler's `pdftotext` reads it (an independent reader; Debian's
/// poppler-utils), without whitespace: typst spaces Japanese and Latin apart, columns add more.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}
