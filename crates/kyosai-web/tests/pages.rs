//! Black-box tests of the HTML pages: the router on a real port over a fresh SQLite database,
//! driven by an HTTP client with a cookie jar, like a browser without JavaScript.

// Test helpers outside `#[test]` functions may unwrap too: a failure is a failed test.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use jiff::Timestamp;
use kyosai_app::auth::totp_code;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_domain::Program;
use reqwest::StatusCode;
use reqwest::header::ORIGIN;

mod support;

use support::{PASSWORD, Site, browser};

/// The site over a fresh SQLite database, on the real clock.
struct TestApp {
    site: Site,
    _dir: kyosai_store::testing::TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

async fn spawn() -> TestApp {
    let (store, dir) = kyosai_store::testing::sqlite().await.unwrap();
    TestApp {
        site: support::spawn(store, Clock::System).await,
        _dir: dir,
    }
}

impl TestApp {
    async fn get(&self, c: &reqwest::Client, path: &str) -> (StatusCode, String, String) {
        let r = c.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        let url = r.url().path().to_string();
        (status, url, r.text().await.unwrap())
    }

    /// The link in the newest mail to `email` that contains `needle`.
    async fn mail_link(&self, email: &str, needle: &str) -> String {
        let mut conn = self.store.read().await.unwrap();
        let items = kyosai_store::outbox::pending(&mut conn, 1000)
            .await
            .unwrap();
        let body = items
            .iter()
            .rev()
            .filter_map(|i| serde_json::from_str::<kyosai_app::mail::Mail>(&i.payload).ok())
            .find(|m| m.to == email && m.body.contains(needle))
            .map(|m| m.body)
            .expect("mail sent");
        let start = body.find(needle).unwrap();
        let end = body[start..]
            .find(char::is_whitespace)
            .map_or(body.len(), |e| start + e);
        body[start..end].to_string()
    }

    async fn counts(&self) -> (i64, i64) {
        let mut conn = self.store.read().await.unwrap();
        let apps = kyosai_store::applications::count(&mut conn).await.unwrap();
        let row = sqlx::query("SELECT COUNT(*) AS n FROM contracts")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        (
            apps,
            kyosai_store::Row::try_get::<i64, _>(&row, "n").unwrap(),
        )
    }

    /// Signs a new member up through the pages and completes TOTP set-up; returns the client
    /// (logged in), the e-mail and the TOTP secret.
    async fn new_member(&self, email: &str) -> (reqwest::Client, String) {
        let c = browser();
        let (s, _, body) = self
            .post(&c, "/signup", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("確認メールを送信しました"));
        let link = self.mail_link(email, "/verify?token=").await;
        let link = link.split_once("/verify").map(|(_, t)| t).unwrap();
        let (s, _, body) = self.get(&c, &format!("/verify{link}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("メールアドレスを確認しました"));
        let (s, url, body) = self
            .post(&c, "/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(url, "/account/totp");
        assert!(body.contains("data:image/png;base64,"));
        assert!(body.contains("alt=\""));
        let grouped = between(&body, "id=\"totp-secret\">", "</code>");
        assert!(
            grouped.split(' ').all(|g| (1..=4).contains(&g.len())),
            "secret in groups for typing: {grouped}"
        );
        let secret = grouped.replace(' ', "");
        // A phone cannot scan its own screen: the page links the authenticator app directly.
        let otpauth = between(&body, "id=\"totp-link\" href=\"", "\"");
        assert!(otpauth.starts_with("otpauth://totp/"), "{otpauth}");
        assert!(otpauth.contains(&format!("secret={secret}")), "{otpauth}");
        // Half logged in: the header offers to log out, not to log in or sign up.
        let header = between(&body, "<header", "</header>");
        assert!(
            !header.contains("ログイン<") && !header.contains("新規登録"),
            "{header}"
        );
        assert!(header.contains("ログアウト"), "{header}");
        let code = totp_code(&secret, email, Timestamp::now()).unwrap();
        let (s, url, body) = self
            .post(&c, "/account/totp", &[("totp_code", code.as_str())])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(url, "/portal?totp=1");
        assert!(body.contains("二段階認証を設定しました"));
        (c, secret)
    }

    /// An account made by an operator with TOTP already on, logged in through the pages.
    async fn login_with_totp(&self, role: Role, email: &str) -> reqwest::Client {
        self.site.login(role, email).await.0
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    let j = s[i..].find(end).unwrap() + i;
    &s[i..j]
}

/// Step fields of the sample form.
fn step_form(program: &str, step: u8) -> Vec<(&'static str, String)> {
    let f = sample_form(program);
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut out: Vec<(&'static str, String)> = match step {
        1 => vec![
            ("role", v(&f.role)),
            ("family_name", "高橋".into()),
            ("given_name", "健一".into()),
            ("family_name_kana", "タカハシ".into()),
            ("given_name_kana", "ケンイチ".into()),
            ("birth_date", "1980-06-15".into()),
            ("phone", v(&f.phone)),
        ],
        2 => vec![
            ("business_name", v(&f.business_name)),
            ("legal_form", v(&f.legal_form)),
            ("industry", v(&f.industry)),
            ("employees", v(&f.employees)),
            ("business_started_on", v(&f.business_started_on)),
            ("postcode", v(&f.postcode)),
            ("prefecture", v(&f.prefecture)),
            ("city", v(&f.city)),
            ("address_line", v(&f.address_line)),
        ],
        3 => vec![
            ("monthly_premium_yen", v(&f.monthly_premium_yen)),
            ("payment_frequency", v(&f.payment_frequency)),
        ],
        4 => vec![
            ("bank_code", v(&f.bank_code)),
            ("branch_code", v(&f.branch_code)),
            ("account_type", v(&f.account_type)),
            ("account_number", v(&f.account_number)),
            ("account_holder_kana", "タカハシ ケンイチ".into()),
        ],
        _ => vec![
            ("declare_truthful", "on".into()),
            ("declare_not_antisocial", "on".into()),
            ("declare_eligible", "on".into()),
        ],
    };
    out.push((
        "action",
        if step == 5 { "submit" } else { "next" }.to_string(),
    ));
    out
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Walks the five steps; returns the final page.
async fn enroll(t: &TestApp, c: &reqwest::Client, program: &str) -> (StatusCode, String, String) {
    let form_program = program;
    let program = program.replace('_', "-");
    let (s, url, body) = t.get(c, &format!("/enroll/{program}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(url, format!("/enroll/{program}/1"));
    assert!(body.contains("ステップ1／5"));
    let mut last = (s, url, body);
    for step in 1..=5u8 {
        let form = step_form(form_program, step);
        last = t
            .post(c, &format!("/enroll/{program}/{step}"), &as_refs(&form))
            .await;
        if step < 5 {
            assert_eq!(last.0, StatusCode::OK, "step {step}: {}", last.2);
            assert_eq!(last.1, format!("/enroll/{program}/{}", step + 1));
            assert!(last.2.contains(&format!("ステップ{}／5", step + 1)));
        }
    }
    last
}

#[tokio::test]
async fn member_signs_up_sets_up_totp_and_enrolls_in_both_programs() {
    let t = spawn().await;
    let (s, _, body) = t.get(&browser(), "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("<html lang=\"ja\">"));
    assert!(body.contains("小規模企業共済") && body.contains("経営セーフティ共済"));
    let (s, _, body) = t.get(&browser(), "/signup").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("12文字以上"),
        "password policy shown up front"
    );

    let (c, _) = t.new_member("taro@example.jp").await;

    // Address look-up without JavaScript fills prefecture and city.
    let mut step2 = step_form("small_enterprise", 2);
    step2.retain(|(k, _)| !matches!(*k, "prefecture" | "city" | "address_line" | "action"));
    step2.push(("action", "postcode".into()));
    let (s, _, body) = t
        .post(&c, "/enroll/small-enterprise/2", &as_refs(&step2))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("<option value=\"東京都\" selected>"));
    assert!(body.contains("value=\"千代田区\""));

    // Bank search lists matches to pick; picking one fills the code.
    let (s, _, body) = t
        .post(
            &c,
            "/enroll/small-enterprise/4",
            &[("bank_query", "みずほ"), ("action", "bank_search")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("name=\"pick_bank\" value=\"0001\""), "{body}");
    assert!(
        body.contains("class=\"pick\">みずほ銀行</button>"),
        "{body}"
    );
    // The name search comes before the code field.
    assert!(
        body.find("id=\"f-bank_query\"").unwrap() < body.find("id=\"f-bank_code\"").unwrap(),
        "{body}"
    );
    let (_, _, body) = t
        .post(&c, "/enroll/small-enterprise/4", &[("pick_bank", "0001")])
        .await;
    assert!(body.contains("選択中の金融機関"));
    assert!(body.contains(
        "id=\"f-bank_code\" name=\"bank_code\" type=\"text\" class=\"input w-4\" value=\"0001\""
    ));

    let (s, url, body) = enroll(&t, &c, "small_enterprise").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(url.starts_with("/applications/"), "{url}");
    assert!(body.contains("ご加入手続きが完了しました"), "{body}");
    assert!(body.contains("共済契約者番号"));
    assert!(body.contains("初回の引落日"));
    assert_eq!(body.matches("<tr><td>").count(), 12, "12 monthly debits");

    // The confirmation step shows the holder name as Zengin half-width kana.
    let (s, _, body) = t.get(&c, "/enroll/safety-net/5").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("口座名義（金融機関への登録表記）"));
    let (s, url, body) = enroll(&t, &c, "safety_net").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(url.starts_with("/applications/"));
    assert!(body.contains("ご加入手続きが完了しました"), "{body}");

    let (s, _, body) = t.get(&c, "/portal").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body.matches("次回の引落日").count(), 2, "{body}");
    assert!(body.contains("***4567"), "bank account masked");
    assert!(!body.contains("1234567"));
    assert!(body.contains("お申し込みいただける共済はありません"));

    let member = t
        .app
        .user_by_email("taro@example.jp")
        .await
        .unwrap()
        .unwrap();
    let o = t
        .app
        .overview(
            &Actor {
                user_id: member.id,
                role: Role::Member,
            },
            member.id,
        )
        .await
        .unwrap();
    assert_eq!(o.contracts.len(), 2);

    // Logging out ends the session.
    let (s, url, _) = t.post(&c, "/logout", &[]).await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/login?logged_out=1"));
    let (_, url, _) = t.get(&c, "/portal").await;
    assert_eq!(url, "/login");
}

#[tokio::test]
async fn a_reused_totp_code_is_refused() {
    let t = spawn().await;
    let email = "hanako@example.jp";
    let (c, secret) = t.new_member(email).await;
    let used = totp_code(&secret, email, Timestamp::now()).unwrap();
    t.post(&c, "/logout", &[]).await;
    let (_, url, _) = t
        .post(&c, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(url, "/login/totp");
    // The code of the set-up step (or the one just after): refused either way.
    let (s, url, body) = t
        .post(&c, "/login/totp", &[("totp_code", used.as_str())])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(url, "/login/totp");
    assert!(
        body.contains("この確認コードはすでに使われています")
            || body.contains("確認コードが正しくありません"),
        "{body}"
    );
    assert!(body.contains("aria-invalid=\"true\""));
    // Still not logged in.
    let (_, url, _) = t.get(&c, "/portal").await;
    assert_eq!(url, "/login/totp");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let t = spawn().await;
    let c = browser();
    let r = c
        .post(t.url("/signup"))
        .header(ORIGIN, "https://evil.example")
        .form(&[("email", "victim@example.jp"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        t.app
            .user_by_email("victim@example.jp")
            .await
            .unwrap()
            .is_none()
    );

    let (c, _) = t.new_member("member@example.jp").await;
    let r = c
        .post(t.url("/enroll/small-enterprise/1"))
        .header("sec-fetch-site", "cross-site")
        .form(&as_refs(&step_form("small_enterprise", 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let member = t
        .app
        .user_by_email("member@example.jp")
        .await
        .unwrap()
        .unwrap();
    let draft = t
        .app
        .load_draft(member.id, Program::SmallEnterprise)
        .await
        .unwrap();
    assert_eq!(draft.family_name, None, "no draft saved");
    let r = c
        .post(t.url("/logout"))
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, url, _) = t.get(&c, "/portal").await;
    assert_eq!(
        (s, url.as_str()),
        (StatusCode::OK, "/portal"),
        "still logged in"
    );
    // A same-origin post works.
    let r = c
        .post(t.url("/enroll/small-enterprise/1"))
        .header(ORIGIN, t.base.as_str())
        .form(&as_refs(&step_form("small_enterprise", 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().path(), "/enroll/small-enterprise/2");
}

#[tokio::test]
async fn bad_input_is_shown_next_to_the_field_in_japanese_and_nothing_is_stored() {
    let t = spawn().await;
    let (c, _) = t.new_member("ichiro@example.jp").await;
    let bad1 = [
        ("role", "sole_proprietor"),
        ("family_name", "<script>alert(1)</script>"),
        ("given_name", ""),
        ("family_name_kana", "yamada"),
        ("given_name_kana", "タロウ"),
        ("birth_date", "1975-13-45"),
        ("phone", "abc"),
        ("action", "next"),
    ];
    let (s, url, body) = t.post(&c, "/enroll/small-enterprise/1", &bad1).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(url, "/enroll/small-enterprise/1");
    assert!(body.contains("class=\"error-summary\""));
    assert!(body.contains("href=\"#f-birth_date\""));
    assert!(body.contains("id=\"f-birth_date-error\""));
    assert!(body.contains("aria-describedby=\"f-birth_date-hint f-birth_date-error\""));
    assert!(body.contains("生年月日は「2020-04-01」の形式で、正しい日付を入力してください。"));
    assert!(body.contains("氏名（名）を入力してください。"));
    assert!(
        body.contains("フリガナ（セイ）はカタカナ（ひらがな・半角カナも可）で入力してください。")
    );
    assert!(body.contains("電話番号は0から始まる10桁または11桁の数字で入力してください。"));
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped"
    );
    assert!(!body.contains("<script>alert(1)</script>"));

    // Premium out of range and off step (small_enterprise: 1,000–70,000 yen in 500 yen steps).
    for (premium, message) in [
        (
            "70500",
            "掛金月額は1,000円から70,000円の範囲で入力してください。",
        ),
        ("1234", "掛金月額は500円単位で入力してください。"),
        (
            "abc",
            "掛金月額は半角または全角の数字で入力してください（例：50000、5万）。",
        ),
    ] {
        let (s, _, body) = t
            .post(
                &c,
                "/enroll/small-enterprise/3",
                &[
                    ("monthly_premium_yen", premium),
                    ("payment_frequency", "monthly"),
                    ("action", "next"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains(message), "{premium}: {body}");
        assert!(body.contains("id=\"f-monthly_premium_yen-error\""));
    }
    // Unknown bank and branch, malformed account number.
    let (s, _, body) = t
        .post(
            &c,
            "/enroll/small-enterprise/4",
            &[
                ("bank_code", "9999"),
                ("branch_code", "001"),
                ("account_type", "ordinary"),
                ("account_number", "12345678"),
                ("account_holder_kana", "ヤマダ"),
                ("action", "next"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("金融機関コード（4桁）が見つかりません。"));
    assert!(body.contains("口座番号は7桁以内の数字で入力してください。"));
    // The field lets an eighth digit through to that message instead of cutting it.
    let field = between(&body, "id=\"f-account_number\"", ">");
    assert!(field.contains("value=\"12345678\""), "{field}");
    assert!(!field.contains("maxlength=\"7\""), "{field}");
    let (_, _, body) = t
        .post(
            &c,
            "/enroll/small-enterprise/4",
            &[
                ("bank_code", "0001"),
                ("branch_code", "998"),
                ("action", "next"),
            ],
        )
        .await;
    assert!(
        body.contains("支店コード（3桁）「998」の支店が見つかりません。"),
        "{body}"
    );

    // Employees over the limit for retail: the business step says so itself (the rule the
    // submit runs), before the member reaches the bank details; nothing is stored.
    let mut form = step_form("small_enterprise", 2);
    for (k, v) in &mut form {
        match *k {
            "industry" => *v = "retail".into(),
            "employees" => *v = "50".into(),
            _ => {}
        }
    }
    let (s, _, body) = t
        .post(&c, "/enroll/small-enterprise/2", &as_refs(&form))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("ステップ2／5"), "{body}");
    assert!(
        body.contains("常時使用する従業員は5人以下であることが必要です"),
        "{body}"
    );
    assert!(body.contains("id=\"f-employees-error\""));
    for step in [1, 3, 4] {
        let (s, _, body) = t
            .post(
                &c,
                &format!("/enroll/small-enterprise/{step}"),
                &as_refs(&step_form("small_enterprise", step)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "step {step}: {body}");
    }
    // Declarations missing: shown on the last step.
    let (s, _, body) = t
        .post(
            &c,
            "/enroll/small-enterprise/2",
            &as_refs(&step_form("small_enterprise", 2)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _, body) = t
        .post(&c, "/enroll/small-enterprise/5", &[("action", "submit")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("申込内容が事実と相違ないことを確認してください。"));
    assert!(body.contains("id=\"f-declare_truthful-error\""));
    assert_eq!(
        t.counts().await,
        (0, 0),
        "no application or contract stored"
    );

    // Hostile and malformed requests.
    let (s, _, _) = t.get(&c, "/enroll/pension/1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, body) = t.get(&c, "/enroll/small-enterprise/9").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("ページが見つかりません"));
    let r = c
        .post(t.url("/enroll/small-enterprise/1"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("family_name={}", "a".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = c
        .post(t.url("/enroll/small-enterprise/1"))
        .header("content-type", "application/json")
        .body("{\"family_name\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("送信された内容を読み取れませんでした")
    );
    assert_eq!(t.counts().await.0, 0);
}

#[tokio::test]
async fn staff_review_through_the_pages_with_maker_checker() {
    let t = spawn().await;
    // Two members whose applications need a person (co-managers).
    let mut ids = Vec::new();
    for (i, email) in ["co1@example.jp", "co2@example.jp"].iter().enumerate() {
        let id = t
            .app
            .create_account(Role::Member, email, "", Some(PASSWORD))
            .await
            .unwrap();
        let mut form = sample_form("small_enterprise");
        form.role = Some("co_manager".into());
        form.family_name = Some(["共同", "協同"][i].into());
        let r = t
            .app
            .submit_enrollment(
                &Actor {
                    user_id: id,
                    role: Role::Member,
                },
                id,
                &form,
            )
            .await
            .unwrap();
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::InReview);
        ids.push((id, r.application_id));
    }
    let (a, b) = (ids[0].1, ids[1].1);

    // Members may not see the staff pages.
    let member = t.login_with_totp(Role::Member, "plain@example.jp").await;
    let (s, _, body) = t.get(&member, "/staff").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("権限がありません"));

    let staff1 = t.login_with_totp(Role::Staff, "staff1@example.jp").await;
    let (s, url, _) = t.get(&staff1, "/portal").await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/staff"));
    let (s, _, body) = t.get(&staff1, "/staff").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains(&format!("/staff/applications/{a}")));
    assert!(body.contains(&format!("/staff/applications/{b}")));

    let path = format!("/staff/applications/{a}");
    let (s, _, body) = t.get(&staff1, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("要確認") && body.contains("合格"));
    assert!(body.contains("共同経営者の加入は"));
    let version = between(&body, "name=\"version\" value=\"", "\"").to_string();

    // staff1 corrects the phone number …
    let mut edit: Vec<(&'static str, String)> = Vec::new();
    for step in 1..=5 {
        edit.extend(
            step_form("small_enterprise", step)
                .into_iter()
                .filter(|(k, _)| *k != "action"),
        );
    }
    for (k, v) in &mut edit {
        match *k {
            "role" => *v = "co_manager".into(),
            "phone" => *v = "03-9999-0000".into(),
            _ => {}
        }
    }
    edit.push(("version", version.clone()));
    let (s, url, body) = t
        .post(&staff1, &format!("{path}/edit"), &as_refs(&edit))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, format!("{path}?done=edited"));
    assert!(
        body.contains("staff1@example.jp（テスト） が申込内容を修正しました"),
        "{body}"
    );
    assert!(body.contains("03-9999-0000"));
    // … and may not approve it: maker-checker. Every decision needs its reason first.
    let version = between(&body, "name=\"version\" value=\"", "\"").to_string();
    let (s, _, body) = t
        .post(
            &staff1,
            &format!("{path}/approve"),
            &[("version", version.as_str()), ("reason", " ")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("承認の理由（確認した内容）を"), "{body}");
    let (s, _, body) = t
        .post(
            &staff1,
            &format!("{path}/approve"),
            &[("version", version.as_str()), ("reason", "電話で確認")],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body.contains("ご自身が修正した申込は承認できません"),
        "{body}"
    );
    // A stale version is refused too (edit with the old version).
    let (s, _, _) = t
        .post(&staff1, &format!("{path}/edit"), &as_refs(&edit))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Rejecting needs a reason.
    let bpath = format!("/staff/applications/{b}");
    let (_, _, body) = t.get(&staff1, &bpath).await;
    let bversion = between(&body, "name=\"version\" value=\"", "\"").to_string();
    let (s, _, body) = t
        .post(
            &staff1,
            &format!("{bpath}/reject"),
            &[("version", bversion.as_str()), ("reason", "  ")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("お断りする理由を1000文字以内で入力してください。"));
    assert!(body.contains("id=\"r-reason-error\""));
    let (s, url, body) = t
        .post(
            &staff1,
            &format!("{bpath}/reject"),
            &[
                ("version", bversion.as_str()),
                ("reason", "経営への参画を確認できる書類が届きませんでした。"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, format!("{bpath}?done=rejected"));
    assert!(body.contains("お断りしました"));

    // A second staff user approves the corrected application.
    let staff2 = t.login_with_totp(Role::Staff, "staff2@example.jp").await;
    let (_, _, body) = t.get(&staff2, &path).await;
    let version = between(&body, "name=\"version\" value=\"", "\"").to_string();
    // The approver sees what the editor changed, field by field.
    assert!(body.contains("職員による修正"), "{body}");
    let changes = between(&body, "職員による修正", "</table>");
    assert!(changes.contains("電話番号"), "{changes}");
    assert!(changes.contains("03-9999-0000"), "{changes}");
    assert!(changes.contains("staff1@example.jp"), "{changes}");
    // The screen carries when it was opened: the decision records the staff time (scorecard).
    let opened_at = between(&body, "name=\"opened_at\" value=\"", "\"").to_string();
    let (s, url, body) = t
        .post(
            &staff2,
            &format!("{path}/approve"),
            &[
                ("version", version.as_str()),
                ("reason", "書類確認済み"),
                ("opened_at", opened_at.as_str()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, format!("{path}?done=approved"));
    assert!(body.contains("承認しました"));
    {
        let mut conn = t.store.read().await.unwrap();
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM data_entry_time WHERE screen = 'review' AND procedure = 'enrollment'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let n: i64 = kyosai_store::Row::try_get(&row, "n").unwrap();
        assert_eq!(n, 1, "the approval's staff time is recorded");
    }
    // Decided applications stay listed, with the reason, under their status.
    let (s, _, body) = t.get(&staff2, "/staff?status=completed").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains(&format!("受付番号 {a}")), "{body}");
    assert!(body.contains("書類確認済み"), "{body}");
    let (_, _, body) = t.get(&staff2, "/staff").await;
    assert!(!body.contains(&format!("受付番号 {a}：")), "{body}");
    let (s, _, _) = t.get(&staff2, "/staff?status=nonsense").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The members' views reflect the decisions at once.
    let o = t
        .app
        .overview(
            &Actor {
                user_id: ids[0].0,
                role: Role::Member,
            },
            ids[0].0,
        )
        .await
        .unwrap();
    assert_eq!(o.contracts.len(), 1);
    let o = t
        .app
        .overview(
            &Actor {
                user_id: ids[1].0,
                role: Role::Member,
            },
            ids[1].0,
        )
        .await
        .unwrap();
    assert_eq!(o.contracts.len(), 0);
    assert_eq!(
        o.applications[0].status,
        kyosai_domain::ApplicationStatus::Rejected
    );
    let (s, _, body) = t.get(&staff2, "/staff").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("確認待ちの申込はありません"));
}

#[tokio::test]
async fn pages_need_a_full_login_and_unknown_paths_get_the_japanese_404() {
    let t = spawn().await;
    let c = browser();
    let (s, url, body) = t.get(&c, "/portal").await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/login"));
    assert!(body.contains("<h1>ログイン</h1>"));
    let (s, _, body) = t.get(&c, "/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("ページが見つかりません"));
    let (s, _, body) = t
        .post(
            &c,
            "/login",
            &[("email", "x@example.jp"), ("password", "wrong password 1")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("メールアドレスまたはパスワードが正しくありません。"));
    let (s, _, body) = t.get(&c, "/verify?token=forged").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("確認用リンクが無効か"));
}

#[tokio::test]
async fn an_application_that_needs_a_person_shows_why_and_what_happens_next() {
    let t = spawn().await;
    let (c, _) = t.new_member("kyodo@example.jp").await;
    for step in 1..=5u8 {
        let mut form = step_form("small_enterprise", step);
        for (k, v) in &mut form {
            if *k == "role" {
                *v = "co_manager".into();
            }
        }
        let (s, url, body) = t
            .post(
                &c,
                &format!("/enroll/small-enterprise/{step}"),
                &as_refs(&form),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "step {step}: {body}");
        if step == 5 {
            assert!(url.starts_with("/applications/"), "{url}");
            assert!(
                body.contains("お申込みを受け付けました（確認中）"),
                "{body}"
            );
            assert!(body.contains("共同経営者の加入は"));
            assert!(body.contains("通常5営業日以内"));
            assert!(!body.contains("共済契約者番号"));
        }
    }
    let (_, _, body) = t.get(&c, "/portal").await;
    assert!(body.contains("確認中"));
    // The program in review is not offered again; the other one is.
    assert!(!body.contains("href=\"/enroll/small-enterprise\""));
    assert!(body.contains("href=\"/enroll/safety-net\""));
    // Another member cannot see the application.
    let (other, _) = t.new_member("other@example.jp").await;
    let (s, _, _) = t.get(&other, "/applications/1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(t.counts().await, (1, 0));
}

/// A `multipart/form-data` post of one file field, as a browser sends it.
async fn upload(
    t: &TestApp,
    c: &reqwest::Client,
    path: &str,
    field: &str,
    text: &str,
) -> (StatusCode, String, String) {
    let boundary = "----kyosai-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"rules.toml\"\r\nContent-Type: application/toml\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let r = c
        .post(t.url(path))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    support::read(r).await
}

#[tokio::test]
async fn staff_load_a_rule_file_on_screen_and_it_applies_at_once() {
    let t = spawn().await;
    let shipped = include_str!("../../../rules/safety_net/2017-11-01.toml");
    // Effective from the first of this month, so it is in force today: the discount rate 1/1000.
    let first = t.app.clock.today().first_of_month().to_string();
    let new_version = shipped
        .replace("2017-11-01", &first)
        .replace("value = \"0.9/1000\"", "value = \"1/1000\"");
    let discount = || async {
        let r: serde_json::Value = browser()
            .post(t.url("/api/v1/simulations/safety-net/prepayment-discount"))
            .json(&serde_json::json!({"monthly_premium_yen": 80000, "months_ahead": 11}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            r["discount_yen"].as_i64().unwrap(),
            r["rule_set"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        discount().await,
        (4_752, "safety_net/2017-11-01".to_string())
    );

    // Members may neither see nor post.
    let member = t.login_with_totp(Role::Member, "m-rules@example.jp").await;
    assert_eq!(
        t.get(&member, "/staff/rules").await.0,
        StatusCode::FORBIDDEN
    );
    let (s, _, _) = upload(&t, &member, "/staff/rules", "rule_file", &new_version).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let staff = t.login_with_totp(Role::Staff, "s-rules@example.jp").await;
    let (s, _, body) = t.get(&staff, "/staff/rules").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(
        body.contains("safety_net/2017-11-01") && body.contains("システムに同梱"),
        "{body}"
    );

    // An invalid file: every problem listed, nothing stored, results unchanged.
    let bad = new_version.replace("value = 200000, source", "value = 2000, source");
    let (s, _, body) = upload(&t, &staff, "/staff/rules", "rule_file", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("規則ファイルを登録できませんでした"),
        "{body}"
    );
    assert!(body.contains("premium"), "{body}");
    let (s, _, body) = upload(&t, &staff, "/staff/rules", "rule_file", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("規則ファイルを選んでください"), "{body}");
    assert_eq!(discount().await.0, 4_752);

    // A valid file is staged (issue #15 item 2): shown as a diff, not in force until a second
    // staff user approves it, confirming the back-dating (its date is the 1st of this month).
    let (s, url, body) = upload(&t, &staff, "/staff/rules", "rule_file", &new_version).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let id = format!("safety_net/{first}");
    assert_eq!(url, format!("/staff/rules?staged={id}"));
    assert!(body.contains("承認待ちの版"), "{body}");
    assert!(
        body.contains("safety_net.prepayment.discount_rate.value")
            && body.contains("0.09%")
            && body.contains("0.1%"),
        "the diff against the version in force: {body}"
    );
    assert_eq!(discount().await.0, 4_752);
    let staging: i64 = {
        let mut conn = t.store.read().await.unwrap();
        let row = sqlx::query("SELECT id FROM rule_set_stagings")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        kyosai_store::Row::try_get(&row, "id").unwrap()
    };
    let decide = format!("/staff/rules/staged/{staging}");
    let (s, _, body) = t.post(&staff, &decide, &[("decision", "approve")]).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the one who staged cannot approve: {body}"
    );
    let checker = t.login_with_totp(Role::Staff, "s-rules2@example.jp").await;
    let (s, _, body) = t.post(&checker, &decide, &[("decision", "approve")]).await;
    assert_eq!(s, StatusCode::CONFLICT, "back-dating unconfirmed: {body}");
    assert!(body.contains("さかのぼって"), "{body}");
    let (s, url, body) = t
        .post(
            &checker,
            &decide,
            &[("decision", "approve"), ("confirm_backdating", "1")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, format!("/staff/rules?loaded={id}"));
    assert!(
        body.contains(&format!("規則セット {id} を承認しました")),
        "{body}"
    );
    assert!(body.contains("本日適用中"), "{body}");
    assert_eq!(discount().await, (80_000 * 66 / 1000, id.clone()));

    // The same version twice is refused.
    let (s, _, body) = upload(&t, &staff, "/staff/rules", "rule_file", &new_version).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("すでにあります"), "{body}");

    // The load is audited with the staff user.
    let mut conn = t.store.read().await.unwrap();
    let row =
        sqlx::query("SELECT actor, after_state FROM audit_log WHERE action = 'rule_set.loaded'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    let actor: String = kyosai_store::Row::try_get(&row, "actor").unwrap();
    assert!(actor.starts_with("user:"), "{actor}");
    let after: String = kyosai_store::Row::try_get(&row, "after_state").unwrap();
    assert!(
        after.contains(&kyosai_store::sha256_hex(new_version.as_bytes()))
            && after.contains("\"backdated\":true"),
        "the audit row keeps the file's hash and the back-dating: {after}"
    );
}

#[tokio::test]
async fn staff_find_contracts_by_number_name_or_email_and_each_search_is_audited() {
    let t = spawn().await;
    let id = t
        .app
        .create_account(Role::Member, "found@example.jp", "", Some(PASSWORD))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let number = t
        .app
        .submit_enrollment(&member, id, &sample_form("small_enterprise"))
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    let staff = t.login_with_totp(Role::Staff, "finder@example.jp").await;
    for q in [number.as_str(), "山田", "FOUND@example"] {
        let (s, _, body) = t
            .get(&staff, &format!("/staff/search?q={}", urlencode(q)))
            .await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert!(body.contains("検索結果（1件）"), "{q}: {body}");
        assert!(body.contains(&number), "{q}");
        assert!(body.contains("found@example.jp"), "{q}");
    }
    // Wildcards are taken literally; a one-letter query is refused with a message.
    let (_, _, body) = t.get(&staff, "/staff/search?q=%25%25").await;
    assert!(body.contains("検索結果（0件）"), "{body}");
    let (s, _, body) = t.get(&staff, "/staff/search?q=a").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("2文字以上"), "{body}");
    // Members cannot search.
    let (mc, _) = t.login(Role::Member, "nosy@example.jp").await;
    let (s, _, _) = t.get(&mc, "/staff/search?q=山田").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut conn = t.store.read().await.unwrap();
    let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'contract.searched'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let n: i64 = kyosai_store::Row::try_get(&row, "n").unwrap();
    assert_eq!(n, 4, "every search that ran is audited");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The part of a page between the header and the footer.
fn main_part(page: &str) -> &str {
    between(page, "<main", "</main>")
}

#[tokio::test]
async fn the_calculators_are_linked_from_the_header_the_top_page_the_portal_and_the_contract_pages()
{
    let t = spawn().await;
    let (_, _, body) = t.get(&browser(), "/").await;
    assert!(
        between(&body, "<header", "</header>").contains("href=\"/calculators\""),
        "{body}"
    );
    assert!(main_part(&body).contains("href=\"/calculators\""), "{body}");

    let (c, _) = t.new_member("keisan@example.jp").await;
    let (s, url, body) = enroll(&t, &c, "small_enterprise").await;
    assert_eq!(s, StatusCode::OK, "{url}: {body}");
    let (_, _, portal) = t.get(&c, "/portal").await;
    assert!(
        between(&portal, "<header", "</header>").contains("href=\"/calculators\""),
        "{portal}"
    );
    let number = between(&portal, "<dd class=\"mono\">", "</dd>").to_string();
    assert!(
        between(&portal, "<article", "</article>").contains("href=\"/calculators\""),
        "the contract card links the calculators: {portal}"
    );
    // The card's actions are buttons (44 px targets), not small text links.
    let card = between(&portal, "<ul class=\"plain-list\">", "</ul>");
    assert_eq!(card.matches("<a class=\"button").count(), 6, "{card}");
    assert_eq!(card.matches("<a ").count(), 6, "{card}");
    for page in [
        format!("/portal/contracts/{number}/billing"),
        format!("/portal/contracts/{number}/account"),
        format!("/portal/contracts/{number}/premium"),
    ] {
        let (s, _, body) = t.get(&c, &page).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            main_part(&body).contains("href=\"/calculators\""),
            "{page}: {body}"
        );
    }
}

#[tokio::test]
async fn sign_up_reports_every_empty_field_and_a_full_width_password_as_such() {
    let t = spawn().await;
    let c = browser();
    let (s, _, body) = t
        .post(&c, "/signup", &[("email", ""), ("password", "")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("メールアドレスを入力してください。"),
        "{body}"
    );
    assert!(body.contains("パスワードを入力してください。"), "{body}");
    let (s, _, body) = t
        .post(
            &c,
            "/signup",
            &[
                ("email", "zenkaku@example.jp"),
                ("password", "ｐａｓｓｗｏｒｄ１２３４"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let error = between(&body, "id=\"f-password-error\">", "</p>");
    assert!(error.contains("全角の英数字"), "{error}");
    assert!(!error.contains("2種類以上"), "{error}");
}

#[tokio::test]
async fn an_empty_select_or_radio_asks_to_choose_not_to_enter() {
    let t = spawn().await;
    let (c, _) = t.new_member("sentaku@example.jp").await;
    let (s, _, body) = t
        .post(&c, "/enroll/small-enterprise/1", &[("action", "next")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("を選択してください。"), "{body}");
    assert!(
        !body.contains("加入される方の立場を入力してください"),
        "{body}"
    );
    let (s, _, body) = t
        .post(&c, "/enroll/small-enterprise/2", &[("action", "next")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for label in ["都道府県", "業種"] {
        assert!(
            body.contains(&format!("{label}を選択してください。")),
            "{body}"
        );
        assert!(
            !body.contains(&format!("{label}を入力してください。")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_top_page_title_names_the_site_once_and_the_favicon_is_served() {
    let t = spawn().await;
    let (_, _, body) = t.get(&browser(), "/").await;
    assert!(
        body.contains("<title>共済オンライン手続き</title>"),
        "{body}"
    );
    let (_, _, body) = t.get(&browser(), "/login").await;
    assert!(body.contains("<title>ログイン｜共済オンライン手続き</title>"));
    let r = browser().get(t.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
}

#[tokio::test]
async fn a_member_who_holds_the_contract_is_told_on_the_first_page() {
    let t = spawn().await;
    let (c, _) = t.new_member("nijuu@example.jp").await;
    let (s, url, body) = enroll(&t, &c, "small_enterprise").await;
    assert_eq!(s, StatusCode::OK, "{url}: {body}");
    let (s, url, body) = t.get(&c, "/enroll/small-enterprise").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(url, "/enroll/small-enterprise/1");
    assert!(body.contains("すでにご加入です"), "{body}");
    assert!(!body.contains("ステップ1／5"), "{body}");
    // The other program is still open.
    let (s, _, body) = t.get(&c, "/enroll/safety-net").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("ステップ1／5"));
}

#[tokio::test]
async fn enrollment_paths_have_one_spelling_and_the_old_one_redirects() {
    let t = spawn().await;
    let (c, _) = t.new_member("tsuzuri@example.jp").await;
    let (_, _, portal) = t.get(&c, "/portal").await;
    assert!(portal.contains("href=\"/enroll/safety-net\""), "{portal}");
    assert!(!portal.contains("/enroll/safety_net"), "{portal}");
    let (s, url, body) = t.get(&c, "/enroll/safety_net/1").await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/enroll/safety-net/1"));
    assert!(body.contains("action=\"/enroll/safety-net/1\""), "{body}");
    let (s, url, _) = t.get(&c, "/enroll/small_enterprise").await;
    assert_eq!(
        (s, url.as_str()),
        (StatusCode::OK, "/enroll/small-enterprise/1")
    );
    // A form posted to the old address is still taken (308 keeps the POST).
    let form = step_form("small_enterprise", 1);
    let (s, url, body) = t
        .post(&c, "/enroll/small_enterprise/1", &as_refs(&form))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, "/enroll/small-enterprise/2");
}

/// The step form with some fields replaced.
fn with(
    mut form: Vec<(&'static str, String)>,
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    for (k, v) in changes {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = (*v).to_string(),
            None => form.push((k, (*v).to_string())),
        }
    }
    form
}

#[tokio::test]
async fn each_step_checks_its_own_rules_before_going_on() {
    let t = spawn().await;
    let (c, _) = t.new_member("steps@example.jp").await;
    let step1 = "/enroll/safety-net/1";
    // An emoji in the name is refused at step 1.
    let form = with(step_form("safety_net", 1), &[("family_name", "田中😀")]);
    let (s, url, body) = t.post(&c, step1, &as_refs(&form)).await;
    assert_eq!((s, url.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, step1));
    assert!(body.contains("氏名（姓）に使えない文字"), "{body}");
    // A minor is told at step 1 that staff will look, and goes on with the next press.
    let form = with(
        step_form("safety_net", 1),
        &[("birth_date", "2012-04-01"), ("family_name_kana", "ﾀﾅｶ")],
    );
    let (s, url, body) = t.post(&c, step1, &as_refs(&form)).await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, step1));
    assert!(body.contains("18歳未満のため"), "{body}");
    assert!(body.contains("name=\"noted\" value=\"1\""));
    // The half-width フリガナ was accepted and is shown normalised.
    assert!(body.contains("value=\"タナカ\""), "{body}");
    let form = with(form, &[("noted", "1")]);
    let (s, url, _) = t.post(&c, step1, &as_refs(&form)).await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/enroll/safety-net/2"));

    // Step 2: a business that starts in the future, then a company too large for 倒産防止.
    let step2 = "/enroll/safety-net/2";
    let form = with(
        step_form("safety_net", 2),
        &[("business_started_on", "2030-04-01")],
    );
    let (s, _, body) = t.post(&c, step2, &as_refs(&form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("事業開始日が未来の日付になっています。"));
    let company = [
        ("legal_form", "company"),
        ("industry", "retail"),
        ("employees", "１２０人"),
        ("capital_yen", "100,000,000円"),
        ("corporate_number", "7000012050002"),
        ("representative_name", "田中 一郎"),
        ("representative_kana", "たなか いちろう"),
    ];
    let form = with(step_form("safety_net", 2), &company);
    let (s, _, body) = t.post(&c, step2, &as_refs(&form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("小売業の場合、資本金50,000,000円以下または常時使用する従業員50人以下"),
        "{body}"
    );
    // A wrong check digit in the 法人番号 is caught at the same step.
    let form = with(
        step_form("safety_net", 2),
        &[
            ("legal_form", "company"),
            ("capital_yen", "1000万"),
            ("corporate_number", "7000012050003"),
        ],
    );
    let (s, _, body) = t.post(&c, step2, &as_refs(&form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("法人番号が正しくありません"), "{body}");
    assert!(body.contains("代表者の氏名を入力してください。"), "{body}");
    let form = with(
        step_form("safety_net", 2),
        &[
            ("capital_yen", "1000万"),
            ("employees", "30"),
            ("industry", "manufacturing"),
        ]
        .into_iter()
        .chain(
            company
                .iter()
                .copied()
                .filter(|(k, _)| !matches!(*k, "employees" | "capital_yen" | "industry")),
        )
        .collect::<Vec<_>>(),
    );
    let (s, url, body) = t.post(&c, step2, &as_refs(&form)).await;
    assert_eq!(
        (s, url.as_str()),
        (StatusCode::OK, "/enroll/safety-net/3"),
        "{body}"
    );
    // 倒産防止 is paid monthly: said, not asked.
    assert!(
        body.contains("払込方法は月払です。掛金は毎月27日"),
        "{body}"
    );
    assert!(!body.contains("name=\"payment_frequency\""));
    let form = with(
        step_form("safety_net", 3),
        &[("monthly_premium_yen", "５万")],
    );
    let (s, url, _) = t.post(&c, "/enroll/safety-net/3", &as_refs(&form)).await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/enroll/safety-net/4"));
    let form = with(
        step_form("safety_net", 4),
        &[
            ("account_holder_kana", "ﾀﾅｶ ｹﾝｲﾁ"),
            ("account_number", "１２３４５６７"),
        ],
    );
    let (s, url, body) = t.post(&c, "/enroll/safety-net/4", &as_refs(&form)).await;
    assert_eq!((s, url.as_str()), (StatusCode::OK, "/enroll/safety-net/5"));
    // The confirmation shows every field normalised, the corporation and the program's own
    // declaration.
    for shown in [
        "<dd>タナカ</dd>",
        "<dd>2012年4月1日</dd>",
        "<dd>7000012050002</dd>",
        "<dd>田中 一郎</dd>",
        "<dd>タナカ　イチロウ</dd>",
        "<dd>50,000円</dd>",
        "<dd>月払</dd>",
        "<dd>1234567</dd>",
        "<dd>タナカ　ケンイチ</dd>",
        "引き続き1年以上事業を営んでいること",
    ] {
        assert!(body.contains(shown), "{shown}: {body}");
    }
    assert!(!body.contains("副業"));
    let (s, url, body) = t
        .post(
            &c,
            "/enroll/safety-net/5",
            &as_refs(&step_form("safety_net", 5)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let id: i64 = between(&format!("{url}?"), "/applications/", "?")
        .parse()
        .expect(&url);

    // Staff see the corporation on the application.
    let staff = t
        .login_with_totp(Role::Staff, "corp-staff@example.jp")
        .await;
    let (s, _, body) = t.get(&staff, &format!("/staff/applications/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("法人番号") && body.contains("7000012050002"),
        "{body}"
    );
    assert!(body.contains("代表者の氏名") && body.contains("田中 一郎"));
}

#[tokio::test]
async fn bank_searches_sent_by_htmx_get_only_their_results_and_htmx_is_served_from_here() {
    let t = spawn().await;
    let (c, _) = t.new_member("htmx@example.jp").await;
    let path = "/enroll/small-enterprise/4";
    let search = [("bank_query", "みずほ"), ("action", "bank_search")];
    // Without JavaScript: the whole page, with the results in it.
    let (s, _, page) = t.post(&c, path, &search).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<html lang=\"ja\">"));
    assert!(page.contains("<div id=\"bank-results\""));
    assert!(page.contains("name=\"pick_bank\" value=\"0001\""));
    assert!(page.contains("hx-post=\"\" hx-target=\"#bank-results\""));
    assert!(page.contains("<script src=\"/static/htmx-2.0.11.min.js\" defer></script>"));
    // With htmx: the results alone, swapped in place.
    let r = c
        .post(t.url(path))
        .header("HX-Request", "true")
        .form(&search)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.unwrap();
    assert!(
        fragment.starts_with("<div id=\"bank-results\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"));
    assert!(fragment.contains("name=\"pick_bank\" value=\"0001\""));
    // The branch search of the picked bank, in place too.
    let (s, _, _) = t.post(&c, path, &[("pick_bank", "0001")]).await;
    assert_eq!(s, StatusCode::OK);
    let r = c
        .post(t.url(path))
        .header("HX-Request", "true")
        .form(&[
            ("bank_code", "0001"),
            ("branch_query", "本店"),
            ("action", "branch_search"),
        ])
        .send()
        .await
        .unwrap();
    let fragment = r.text().await.unwrap();
    assert!(
        fragment.starts_with("<div id=\"branch-results\""),
        "{fragment}"
    );
    assert!(fragment.contains("name=\"pick_branch\""), "{fragment}");

    // The script comes from this site (the CSP allows 'self' only), cached by its ETag.
    let r = browser()
        .get(t.url("/static/htmx-2.0.11.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(r.text().await.unwrap().contains("2.0.11"));
    let r = c.get(t.url(path)).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}
