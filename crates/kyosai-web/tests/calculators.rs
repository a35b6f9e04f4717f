#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Black-box tests of the public calculators (issue #3): the router on a real port over a fresh
//! SQLite database, driven by a plain HTTP client like a browser without JavaScript.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

mod support;

use support::Site;

struct TestApp {
    site: Site,
    client: reqwest::Client,
    _dir: kyosai_store::testing::TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

async fn spawn() -> TestApp {
    let (store, dir) = kyosai_store::testing::sqlite().await.expect("test setup");
    TestApp {
        site: support::spawn(store, Clock::System).await,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

const PAGES: [&str; 6] = [
    "/calculators/small-enterprise/benefit",
    "/calculators/small-enterprise/payout-options",
    "/calculators/safety-net/cancellation-refund",
    "/calculators/safety-net/bankruptcy-loan",
    "/calculators/safety-net/temporary-loan",
    "/calculators/safety-net/prepayment-discount",
];

impl TestApp {
    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("kyosai_session={c}"));
        }
        let r = req.send().await.expect("test setup");
        (r.status(), r.text().await.expect("test setup"))
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("test setup");
        (r.status(), r.text().await.expect("test setup"))
    }

    /// A member with a contract of `program` and a session (second factor done or not). Each
    /// member is a different person (`birth_date`), so no duplicate check holds the application.
    async fn member_with_contract(
        &self,
        email: &str,
        birth_date: &str,
        program: &str,
        mfa_done: bool,
    ) -> String {
        let id = self
            .app
            .create_account(Role::Member, email, "", Some("correct horse 2026"))
            .await
            .expect("test setup");
        let actor = Actor {
            user_id: id,
            role: Role::Member,
        };
        let mut form = sample_form(program);
        form.birth_date = Some(birth_date.to_string());
        let r = self
            .app
            .submit_enrollment(&actor, id, &form)
            .await
            .expect("test setup");
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::Completed);
        self.app
            .create_session(id, mfa_done)
            .await
            .expect("test setup")
    }
}

/// The `<input>` tag of a field, by its id.
fn input<'a>(body: &'a str, id: &str) -> &'a str {
    let needle = format!("<input id=\"{id}\"");
    let start = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no input {id}"));
    let end = body[start..].find('>').expect("test setup") + start;
    &body[start..=end]
}

fn count(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

#[tokio::test]
async fn every_calculator_page_renders_accessibly_without_login() {
    let t = spawn().await;
    let (s, body) = t.get("/calculators", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count(&body, "<h1"), 1);
    for p in PAGES {
        assert!(body.contains(&format!("href=\"{p}\"")), "index links {p}");
    }
    assert!(body.contains("小規模企業共済") && body.contains("経営セーフティ共済"));

    for p in PAGES {
        let (s, body) = t.get(p, None).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert!(body.contains("<html lang=\"ja\">"), "{p}");
        assert_eq!(count(&body, "<h1"), 1, "{p}: one h1");
        assert!(body.contains(&format!("action=\"{p}#result\"")), "{p}");
        assert!(body.contains("<button type=\"submit\" class=\"button\">計算する</button>"));
        // Every text input has a label.
        let inputs = count(&body, "<input id=\"");
        assert!(inputs > 0, "{p}");
        for (i, _) in body.match_indices("<input id=\"") {
            let id = &body[i + 11..];
            let id = &id[..id.find('"').unwrap()];
            assert!(
                body.contains(&format!("for=\"{id}\"")),
                "{p}: label for {id}"
            );
        }
        // No result, no error before a computation; no script needed.
        assert!(!body.contains("id=\"result\""), "{p}");
        assert!(!body.contains("aria-invalid"), "{p}");
        assert!(!body.contains("<script"), "{p}");
    }
}

#[tokio::test]
async fn benefit_reproduces_the_published_example() {
    let t = spawn().await;
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[
                ("reason", "A"),
                ("h1_premium", "10,000"),
                ("h1_months", "60"),
                ("h2_premium", ""),
                ("h2_months", ""),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"result\""));
    assert!(body.contains("621,400円"), "{body}");
    assert!(body.contains("600,000円"), "total paid");
    assert!(body.contains("60か月（5年）"));
    // A published figure is exact (no 概算); the rule-set version is shown.
    assert!(!body.contains("概算"));
    assert!(body.contains("計算に使った規則：small_enterprise/"));
    // Next step: the payout options for this amount.
    assert!(body.contains("href=\"/calculators/small-enterprise/payout-options?reason=A&"));
    assert!(body.contains("net_amount_yen=621400\""));
    // The form keeps what was entered.
    assert!(input(&body, "f-h1_premium").contains("value=\"10,000\""));

    // Benefit B for the same history, from the same published table.
    let (_, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[
                ("reason", "B"),
                ("h1_premium", "10000"),
                ("h1_months", "60"),
            ],
        )
        .await;
    assert!(body.contains("614,600円"));

    // Between published points the provisional table is used: 概算, explained.
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[
                ("reason", "A"),
                ("h1_premium", "10000"),
                ("h1_months", "100"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("計算結果（概算）"));
    assert!(body.contains("別表第一"), "explains the estimate");

    // A published amount with a year whose 付加共済金 rate is unknown: only that rate is
    // provisional, and the note says so.
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[
                ("reason", "A"),
                ("h1_premium", "10000"),
                ("h1_months", "60"),
                ("fiscal_year", "2024"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("計算結果（概算）"), "{body}");
    assert!(body.contains("2024年度の付加共済金の支給率"), "{body}");
    assert!(!body.contains("別表第一"), "{body}");

    // A premium increase: two periods, shown per tranche.
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[
                ("reason", "voluntary_cancellation"),
                ("h1_premium", "10000"),
                ("h1_months", "60"),
                ("h2_premium", "20000"),
                ("h2_months", "24"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("解約手当金"));
    assert!(body.contains("<caption>"), "tranche table");
}

#[tokio::test]
async fn prepayment_discount_reproduces_the_published_example() {
    let t = spawn().await;
    let (s, body) = t
        .post(
            "/calculators/safety-net/prepayment-discount",
            &[("monthly_premium_yen", "80000"), ("months_ahead", "11")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("4,752円"), "{body}");
    assert!(body.contains("計算に使った規則：safety_net/"));
}

#[tokio::test]
async fn safety_net_calculators_compute_and_explain() {
    let t = spawn().await;
    let (s, body) = t
        .post(
            "/calculators/safety-net/cancellation-refund",
            &[
                ("cancellation", "voluntary"),
                ("months_paid", "24"),
                ("total_paid_yen", "1200000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("1,020,000円"), "85% of 1,200,000");
    assert!(body.contains("85%"));

    let (s, body) = t
        .post(
            "/calculators/safety-net/temporary-loan",
            &[("months_paid", "24"), ("total_paid_yen", "1200000")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // 1,200,000 × 80% × 95% = 912,000, in 50,000-yen units.
    assert!(body.contains("900,000円"), "{body}");

    let (_, body) = t
        .post(
            "/calculators/safety-net/temporary-loan",
            &[("months_paid", "6"), ("total_paid_yen", "300000")],
        )
        .await;
    assert!(body.contains("借りられません"), "{body}");

    let (s, body) = t
        .post(
            "/calculators/safety-net/bankruptcy-loan",
            &[
                ("bankruptcy_date", "2026-04-10"),
                ("request_date", "2026-05-01"),
                ("loss_yen", "5,000,000"),
                ("monthly_transactions_yen", "10000000"),
                ("months_since_joining", "24"),
                ("months_paid", "24"),
                ("monthly_premium_yen", "50000"),
                ("total_paid_yen", "1200000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("借りられる額の上限の目安"), "{body}");
    assert!(body.contains("5,000,000円"));
    assert!(body.contains("返済期間"));

    // A late request: the last day is written the Japanese way.
    let loan = |bankruptcy: &'static str, request: &'static str| {
        [
            ("bankruptcy_date", bankruptcy),
            ("request_date", request),
            ("loss_yen", "5,000,000"),
            ("monthly_transactions_yen", "10000000"),
            ("months_since_joining", "24"),
            ("months_paid", "24"),
            ("monthly_premium_yen", "50000"),
            ("total_paid_yen", "1200000"),
        ]
    };
    let (s, body) = t
        .post(
            "/calculators/safety-net/bankruptcy-loan",
            &loan("2025-01-06", "2025-12-01"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("2025年7月6日まで"), "{body}");
    assert!(!body.contains("2025-07-06"), "{body}");

    // A bankruptcy date after today, request date left empty: the bankruptcy date is wrong.
    let (s, body) = t
        .post(
            "/calculators/safety-net/bankruptcy-loan",
            &loan("2099-01-01", ""),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-bankruptcy_date-error\""), "{body}");
    assert!(!body.contains("id=\"f-request_date-error\""), "{body}");
    assert!(!body.contains("請求日は取引先の倒産日以降"), "{body}");

    let (s, body) = t
        .post(
            "/calculators/small-enterprise/payout-options",
            &[
                ("reason", "A"),
                ("age_at_event", "62"),
                ("net_amount_yen", "3300000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("一括・分割・一括と分割の併用"), "{body}");

    // The payout page accepts the amount from the benefit result's link.
    let (s, body) = t
        .get(
            "/calculators/small-enterprise/payout-options?reason=A&net_amount_yen=621400",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(input(&body, "f-net_amount_yen").contains("value=\"621400\""));
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_the_field_in_japanese() {
    let t = spawn().await;
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[("reason", "A"), ("h1_premium", "1234"), ("h1_months", "60")],
        )
        .await;
    assert!(
        s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::OK,
        "{s}"
    );
    let tag = input(&body, "f-h1_premium");
    assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
    assert!(
        tag.contains("f-h1_premium-error"),
        "described by its error: {tag}"
    );
    assert!(body.contains("id=\"f-h1_premium-error\""));
    assert!(
        body.contains("掛金月額は500円単位で入力してください。"),
        "{body}"
    );
    // The error summary links to the field; no result is shown.
    assert!(body.contains("class=\"error-summary\""));
    assert!(body.contains("href=\"#f-h1_premium\""));
    assert!(!body.contains("id=\"result\""));
    // The other field is not marked.
    assert!(!input(&body, "f-h1_months").contains("aria-invalid"));

    // Every problem at once: a missing field does not hide the other field's rule.
    let (s, body) = t
        .post(
            "/calculators/small-enterprise/benefit",
            &[("reason", "A"), ("h1_premium", "1234"), ("h1_months", "")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("掛金月額は500円単位で入力してください。"),
        "{body}"
    );
    assert!(body.contains("1つ目の期間の納付月数を入力してください。"));
    assert!(body.contains("入力内容をご確認ください（2件）"));
    assert!(input(&body, "f-h1_months").contains("aria-invalid=\"true\""));

    // Missing and non-numeric input get plain Japanese messages too.
    let (s, body) = t
        .post(
            "/calculators/safety-net/prepayment-discount",
            &[("monthly_premium_yen", ""), ("months_ahead", "abc")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("掛金月額を入力してください。"));
    assert!(body.contains("前納する月数は半角または全角の数字で入力してください（例：12）。"));
    assert!(input(&body, "f-months_ahead").contains("aria-invalid=\"true\""));

    // A rule from the domain (months paid vs. total) lands on its field.
    let (s, body) = t
        .post(
            "/calculators/safety-net/cancellation-refund",
            &[
                ("cancellation", "voluntary"),
                ("months_paid", "24"),
                ("total_paid_yen", "100"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(input(&body, "f-total_paid_yen").contains("aria-invalid=\"true\""));
    assert!(body.contains("掛金総額が納付月数と合いません"));

    // A missing choice: the radio group is marked, the summary links to its first option.
    let (_, body) = t
        .post(
            "/calculators/small-enterprise/payout-options",
            &[("age_at_event", "62"), ("net_amount_yen", "3300000")],
        )
        .await;
    assert!(body.contains("共済金の種類を選んでください。"));
    assert!(body.contains("href=\"#f-reason-0\""));
}

#[tokio::test]
async fn a_logged_in_member_sees_the_form_prefilled_from_their_contract() {
    let t = spawn().await;
    let cookie = t
        .member_with_contract("member@example.jp", "1970-01-01", "safety_net", true)
        .await;

    for p in [
        "/calculators/safety-net/prepayment-discount",
        "/calculators/safety-net/bankruptcy-loan",
    ] {
        let (s, body) = t.get(p, Some(&cookie)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            input(&body, "f-monthly_premium_yen").contains("value=\"50000\""),
            "{p}: {body}"
        );
        assert!(body.contains("共済契約者番号"), "{p}: says which contract");
        assert!(body.contains("掛金月額 50,000円"));
        assert!(body.contains("name=\"from_contract\""));
        assert!(body.contains("ログアウト"), "the header shows the member");
    }
    let (_, body) = t
        .get("/calculators/safety-net/cancellation-refund", Some(&cookie))
        .await;
    assert!(body.contains("共済契約者番号"));
    assert!(input(&body, "f-months_paid").contains("value=\""));

    // No 小規模企業共済 contract: that calculator starts empty.
    let (_, body) = t
        .get("/calculators/small-enterprise/benefit", Some(&cookie))
        .await;
    assert!(!body.contains("共済契約者番号"));

    // Anonymous visitors, and sessions without the second factor, get an empty form.
    let (_, body) = t
        .get("/calculators/safety-net/prepayment-discount", None)
        .await;
    assert!(!input(&body, "f-monthly_premium_yen").contains("value=\"50000\""));
    let half = t
        .member_with_contract("half@example.jp", "1971-02-02", "safety_net", false)
        .await;
    let (_, body) = t
        .get("/calculators/safety-net/prepayment-discount", Some(&half))
        .await;
    assert!(!input(&body, "f-monthly_premium_yen").contains("value=\"50000\""));
    assert!(!body.contains("共済契約者番号"));
}

#[tokio::test]
async fn a_small_enterprise_member_gets_the_benefit_history_prefilled() {
    let t = spawn().await;
    let cookie = t
        .member_with_contract("se@example.jp", "1972-03-03", "small_enterprise", true)
        .await;
    let (s, body) = t
        .get("/calculators/small-enterprise/benefit", Some(&cookie))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        input(&body, "f-h1_premium").contains("value=\"30000\""),
        "{body}"
    );
    assert!(body.contains("小規模企業共済、共済契約者番号"));
}

/// The figures a person reads come from the rule set in force: a version loaded at run time
/// changes the pages at once.
#[tokio::test]
async fn calculator_texts_follow_the_rule_set_in_force() {
    let t = spawn().await;
    let path = "/calculators/safety-net/bankruptcy-loan";
    let (s, body) = t.get(path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("掛金総額の10倍"), "{body}");
    assert!(body.contains("貸付残高の合計は8,000万円まで"), "{body}");
    assert!(
        body.contains("5,000円から200,000円まで、5,000円単位"),
        "{body}"
    );

    let first = t.app.clock.today().first_of_month().to_string();
    let new_version = include_str!("../../../rules/safety_net/2017-11-01.toml")
        .replace("2017-11-01", &first)
        .replace(
            "\npremium_multiple = { value = 10,",
            "\npremium_multiple = { value = 12,",
        )
        .replace(
            "outstanding_cap_yen = { value = 80000000,",
            "outstanding_cap_yen = { value = 90000000,",
        )
        .replacen("value = 5000, source", "value = 10000, source", 1);
    t.app.load_rule_set(&new_version, "test").await.unwrap();

    let (s, body) = t.get(path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("掛金総額の12倍"), "{body}");
    assert!(body.contains("貸付残高の合計は9,000万円まで"), "{body}");
    assert!(
        body.contains("10,000円から200,000円まで、5,000円単位"),
        "{body}"
    );
    assert!(
        !body.contains("10倍") && !body.contains("8,000万円"),
        "{body}"
    );
    let (_, body) = t
        .get("/calculators/safety-net/prepayment-discount", None)
        .await;
    assert!(
        body.contains("10,000円から200,000円まで、5,000円単位"),
        "{body}"
    );
}

#[tokio::test]
async fn choice_labels_and_notes_follow_the_rule_set_in_force() {
    let t = spawn().await;
    let benefit = "/calculators/small-enterprise/benefit";
    let payout = "/calculators/small-enterprise/payout-options";
    let refund = "/calculators/safety-net/cancellation-refund";
    let loan = "/calculators/safety-net/temporary-loan";
    let cancel = [
        ("reason", "voluntary_cancellation"),
        ("h1_premium", "10000"),
        ("h1_months", "60"),
    ];

    let (_, body) = t.get(benefit, None).await;
    assert!(
        body.contains("65歳以上で180か月以上納付した老齢給付"),
        "{body}"
    );
    assert!(body.contains("65歳未満で自分から役員を退任"), "{body}");
    assert!(
        body.contains("掛金の12か月以上の未納などによる機構解約"),
        "{body}"
    );
    let (_, body) = t.get(payout, None).await;
    assert!(body.contains("65歳未満での任意の退任"), "{body}");
    let (s, body) = t.post(benefit, &cancel).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("支給割合（80%から120%）"), "{body}");
    assert!(
        body.contains("納付月数が240か月（20年）未満で解約すると"),
        "{body}"
    );
    assert!(body.contains("65歳未満で自分から解約した場合"), "{body}");
    let (_, body) = t.get(refund, None).await;
    assert!(
        body.contains("機構解約（掛金の12か月以上の未納など）"),
        "{body}"
    );
    let (_, body) = t.get(loan, None).await;
    assert!(
        body.contains("2011年9月30日に掛金総額が320万円に達していて、その後も掛金月額を85,000円以上に増額していない"),
        "{body}"
    );
    assert!(body.contains("上限が300万円になります"), "{body}");

    let first = t.app.clock.today().first_of_month().to_string();
    let small_enterprise = include_str!("../../../rules/small_enterprise/2016-04-01.toml")
        .replace("2016-04-01", &first)
        .replace("b_from_age = { value = 65,", "b_from_age = { value = 66,")
        .replace(
            "old_age_min_months = { value = 180,",
            "old_age_min_months = { value = 186,",
        )
        .replace(
            "retirement_income_from_age = { value = 65,",
            "retirement_income_from_age = { value = 60,",
        )
        .replace(
            "termination_unpaid_months = { value = 12,",
            "termination_unpaid_months = { value = 13,",
        )
        .replace(
            "{ from = 12, to = 83, rate = \"80%\" }",
            "{ from = 12, to = 83, rate = \"79%\" }",
        )
        .replace(
            "{ from = 240, to = 245, rate = \"100%\" }",
            "{ from = 240, to = 245, rate = \"99.5%\" }",
        );
    t.app
        .load_rule_set(&small_enterprise, "test")
        .await
        .unwrap();
    let safety_net = include_str!("../../../rules/safety_net/2017-11-01.toml")
        .replace("2017-11-01", &first)
        .replace(
            "termination_unpaid_months = { value = 12,",
            "termination_unpaid_months = { value = 13,",
        )
        .replace(
            "legacy_premium_raise_yen = { value = 85000,",
            "legacy_premium_raise_yen = { value = 90000,",
        )
        .replace(
            "legacy_limit_yen = { value = 3000000,",
            "legacy_limit_yen = { value = 2900000,",
        );
    t.app.load_rule_set(&safety_net, "test").await.unwrap();

    let (_, body) = t.get(benefit, None).await;
    assert!(
        body.contains("66歳以上で186か月以上納付した老齢給付"),
        "{body}"
    );
    assert!(body.contains("66歳未満で自分から役員を退任"), "{body}");
    assert!(
        body.contains("掛金の13か月以上の未納などによる機構解約"),
        "{body}"
    );
    assert!(
        !body.contains("65歳") && !body.contains("180か月"),
        "{body}"
    );
    let (_, body) = t.get(payout, None).await;
    assert!(body.contains("66歳未満での任意の退任"), "{body}");
    let (s, body) = t.post(benefit, &cancel).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("支給割合（79%から120%）"), "{body}");
    assert!(
        body.contains("納付月数が246か月（20年6か月）未満で解約すると"),
        "{body}"
    );
    assert!(body.contains("60歳未満で自分から解約した場合"), "{body}");
    assert!(body.contains("廃業や66歳以上での引退"), "{body}");
    let (_, body) = t.get(refund, None).await;
    assert!(
        body.contains("機構解約（掛金の13か月以上の未納など）"),
        "{body}"
    );
    let (_, body) = t.get(loan, None).await;
    assert!(
        body.contains("掛金月額を90,000円以上に増額していない"),
        "{body}"
    );
    assert!(body.contains("上限が290万円になります"), "{body}");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_the_callers() {
    let t = spawn().await;
    let r = t.client.get(t.url("/calculators")).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = t.client.get(t.url("/calculators")).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    let r = t
        .client
        .get(t.url("/api/v1/openapi.json"))
        .header("x-request-id", "caller-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "caller-42");
}
