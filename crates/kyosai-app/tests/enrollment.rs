#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Enrollment and review use cases on every backend available.

use kyosai_app::dev::demo::{DEMO_TOTP_SECRET, sample_form};
use kyosai_app::{Actor, App, AppError, Clock, Role};
use kyosai_store::{applications, audit, testing};

/// A change that breaks one field of a valid form.
type Mutation = Box<dyn Fn(&mut kyosai_app::enrollment::EnrollmentForm)>;

fn clock() -> Clock {
    Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())
}

async fn apps() -> Vec<(App, Option<testing::TempDir>)> {
    testing::all()
        .await
        .unwrap()
        .into_iter()
        .map(|(store, dir)| (App::new(store, clock(), "http://test").unwrap(), dir))
        .collect()
}

async fn member(app: &App, email: &str) -> Actor {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor {
        user_id: id,
        role: Role::Member,
    }
}

async fn count(app: &App, table: &str) -> i64 {
    let mut c = app.store_for_tests().read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(&mut *c)
    .await
    .unwrap();
    kyosai_store::Row::try_get(&row, "n").unwrap()
}

#[tokio::test]
async fn valid_application_completes_in_the_same_request() {
    for (app, _d) in apps().await {
        let m = member(&app, "a@example.jp").await;
        let r = app
            .submit_enrollment(&m, m.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::Completed);
        let c = r.contract.unwrap();
        assert_eq!(c.number.len(), 9);
        assert!(c.number.parse::<kyosai_domain::ContractNumber>().is_ok());
        // 2026-11-02 is before the November cut-off (5 business days before 11-18).
        assert_eq!(c.first_debit_date.to_string(), "2026-11-18");
        assert_eq!(c.schedule.len(), 12);
        let sn = app
            .submit_enrollment(&m, m.user_id, &sample_form("safety_net"))
            .await
            .unwrap();
        assert_eq!(
            sn.contract.unwrap().first_debit_date.to_string(),
            "2026-11-27"
        );
        let ov = app.overview(&m, m.user_id).await.unwrap();
        assert_eq!(ov.contracts.len(), 2);
        assert_eq!(ov.applications.len(), 2);
        assert!(ov.contracts.iter().all(|c| c.next_debit_date.is_some()));
        // A second contract in the same program is refused.
        let again = app
            .submit_enrollment(&m, m.user_id, &sample_form("safety_net"))
            .await;
        assert!(matches!(again, Err(AppError::Invalid(ref f)) if f[0].field == "program"));
        // Audit chain covers everything and is intact.
        let mut conn = app.store_for_tests().read().await.unwrap();
        assert!(
            audit::verify(&mut conn, app.store_for_tests().audit_key())
                .await
                .unwrap()
                .rows
                >= 5
        );
        // One confirmation mail per completed contract.
        assert_eq!(count(&app, "outbox").await, 2);
    }
}

#[tokio::test]
async fn bad_input_stores_nothing() {
    for (app, _d) in apps().await {
        let m = member(&app, "b@example.jp").await;
        let before = (
            count(&app, "applications").await,
            count(&app, "contracts").await,
            count(&app, "audit_log").await,
        );
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "monthly_premium_yen",
                Box::new(|f| f.monthly_premium_yen = Some("1250".into())),
            ),
            (
                "monthly_premium_yen",
                Box::new(|f| f.monthly_premium_yen = Some("80000".into())),
            ),
            (
                "monthly_premium_yen",
                Box::new(|f| f.monthly_premium_yen = Some("abc".into())),
            ),
            ("bank_code", Box::new(|f| f.bank_code = Some("0002".into()))),
            (
                "branch_code",
                Box::new(|f| f.branch_code = Some("999".into())),
            ),
            ("employees", Box::new(|f| f.employees = Some("21".into()))),
            (
                "birth_date",
                Box::new(|f| f.birth_date = Some("1975-02-30".into())),
            ),
            (
                "business_started_on",
                Box::new(|f| f.business_started_on = Some("2026/13/01".into())),
            ),
            (
                "account_holder_kana",
                Box::new(|f| f.account_holder_kana = Some("山田太郎".into())),
            ),
            (
                "postcode",
                Box::new(|f| f.postcode = Some("0000000".into())),
            ),
            (
                "family_name",
                Box::new(|f| f.family_name = Some("x".repeat(101))),
            ),
            (
                "declarations.eligible",
                Box::new(|f| f.declare_eligible = None),
            ),
            ("role", Box::new(|f| f.role = Some("boss".into()))),
        ];
        for (field, mutate) in cases {
            let mut form = sample_form("small_enterprise");
            mutate(&mut form);
            match app.submit_enrollment(&m, m.user_id, &form).await {
                Err(AppError::Invalid(errors)) => {
                    assert!(
                        errors
                            .iter()
                            .any(|e| e.field == field && !e.message.is_empty()),
                        "{field}: {errors:?}"
                    )
                }
                other => panic!("{field}: expected field errors, got {other:?}"),
            }
        }
        let after = (
            count(&app, "applications").await,
            count(&app, "contracts").await,
            count(&app, "audit_log").await,
        );
        assert_eq!(before, after, "nothing stored");
    }
}

#[tokio::test]
async fn premium_is_read_as_people_type_it() {
    for (app, _d) in apps().await {
        let m = member(&app, "man@example.jp").await;
        let mut form = sample_form("small_enterprise");
        form.monthly_premium_yen = Some("5万".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::Completed);
        let ov = app.overview(&m, m.user_id).await.unwrap();
        assert_eq!(
            ov.contracts[0].monthly_premium_yen,
            kyosai_domain::Yen::new(50_000)
        );

        // What is no number is refused with words that allow both digit widths.
        let mut form = sample_form("safety_net");
        form.monthly_premium_yen = Some("五万".into());
        match app.submit_enrollment(&m, m.user_id, &form).await {
            Err(AppError::Invalid(errors)) => {
                let e = errors
                    .iter()
                    .find(|e| e.field == "monthly_premium_yen")
                    .unwrap();
                assert_eq!(e.code, "not_a_number");
                assert_eq!(
                    e.message,
                    "掛金月額は半角または全角の数字で入力してください（例：50000、5万）。"
                );
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn review_with_maker_checker() {
    for (app, _d) in apps().await {
        let m = member(&app, "c@example.jp").await;
        let s1 = Actor {
            user_id: app
                .create_account(Role::Staff, "s1@kyosai.jp", "", Some("test passphrase 123"))
                .await
                .unwrap(),
            role: Role::Staff,
        };
        let s2 = Actor {
            user_id: app
                .create_account(Role::Staff, "s2@kyosai.jp", "", Some("test passphrase 123"))
                .await
                .unwrap(),
            role: Role::Staff,
        };
        let mut form = sample_form("small_enterprise");
        form.role = Some("co_manager".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::InReview);
        assert!(r.contract.is_none());
        assert!(
            matches!(
                app.applications_with_status(&m, kyosai_domain::ApplicationStatus::InReview)
                    .await,
                Err(AppError::Forbidden(_))
            ),
            "members cannot see the queue"
        );
        let queue = app
            .applications_with_status(&s1, kyosai_domain::ApplicationStatus::InReview)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        let a = &queue[0];
        // s1 corrects the premium; s1 may then not approve; s2 may.
        form.monthly_premium_yen = Some("20000".into());
        app.edit_application(&s1, a.id, a.version, &form)
            .await
            .unwrap();
        let a = app.application(&s1, a.id).await.unwrap();
        assert!(matches!(
            app.approve(&s1, a.id, a.version, "確認済み").await,
            Err(AppError::Conflict {
                code: "maker_checker",
                ..
            })
        ));
        assert!(matches!(
            app.approve(&s2, a.id, a.version - 1, "確認済み").await,
            Err(AppError::Conflict { code: "stale", .. })
        ));
        app.approve(&s2, a.id, a.version, "書類を確認しました")
            .await
            .unwrap();
        let ov = app.overview(&m, m.user_id).await.unwrap();
        assert_eq!(ov.contracts.len(), 1);
        assert_eq!(
            ov.contracts[0].monthly_premium_yen,
            kyosai_domain::Yen::new(20_000)
        );
        assert_eq!(
            ov.applications[0].status,
            kyosai_domain::ApplicationStatus::Completed
        );
        assert!(matches!(
            app.approve(&s2, a.id, a.version + 1, "x").await,
            Err(AppError::Conflict {
                code: "not_in_review",
                ..
            })
        ));

        // Rejection needs a reason and is visible to the member.
        let m2 = member(&app, "d@example.jp").await;
        let mut f2 = sample_form("small_enterprise");
        f2.role = Some("co_manager".into());
        f2.family_name_kana = Some("ベツジン".into());
        let r2 = app.submit_enrollment(&m2, m2.user_id, &f2).await.unwrap();
        let a2 = app.application(&s1, r2.application_id).await.unwrap();
        assert!(app.reject(&s1, a2.id, a2.version, "  ").await.is_err());
        app.reject(
            &s1,
            a2.id,
            a2.version,
            "共同経営者であることを確認できませんでした",
        )
        .await
        .unwrap();
        let ov2 = app.overview(&m2, m2.user_id).await.unwrap();
        assert_eq!(
            ov2.applications[0].status,
            kyosai_domain::ApplicationStatus::Rejected
        );
        assert!(ov2.contracts.is_empty());
        // Members cannot read another member's application.
        assert!(matches!(
            app.application(&m2, r.application_id).await,
            Err(AppError::NotFound)
        ));
        let mut conn = app.store_for_tests().read().await.unwrap();
        assert_eq!(applications::count(&mut conn).await.unwrap(), 2);
    }
}

#[tokio::test]
async fn totp_codes_are_single_use() {
    for (app, _d) in apps().await {
        let m = member(&app, "t@example.jp").await;
        let setup = app.begin_totp(m.user_id).await.unwrap();
        let code =
            kyosai_app::auth::totp_code(&setup.secret, "t@example.jp", app.clock.now()).unwrap();
        assert!(
            app.check_totp(m.user_id, &code, false).await.is_err(),
            "not enabled yet"
        );
        app.confirm_totp(m.user_id, &code).await.unwrap();
        assert!(
            app.check_totp(m.user_id, &code, false).await.is_err(),
            "reused code refused"
        );
        assert!(app.check_totp(m.user_id, "12345", false).await.is_err());
        let _ = DEMO_TOTP_SECRET;
    }
}

#[tokio::test]
async fn demo_seed_runs_once() {
    for (app, _d) in apps().await {
        assert!(app.seed_demo().await.unwrap());
        assert!(!app.seed_demo().await.unwrap());
        assert_eq!(count(&app, "contracts").await, 5);
        // Six enrollments, 山田's premium change and 一時貸付金, 佐藤's cancellation.
        assert_eq!(count(&app, "applications").await, 9);
    }
}

/// REFERENCE §1.1 #6: at most two 共同経営者 per proprietor, counted by business (name and
/// postcode) over the active contracts, at submission and again at approval.
#[tokio::test]
async fn a_third_co_manager_of_one_business_is_refused() {
    for (app, _d) in apps().await {
        let staff = |email: &'static str| {
            let app = &app;
            async move {
                Actor {
                    user_id: app
                        .create_account(Role::Staff, email, "", Some("test passphrase 123"))
                        .await
                        .unwrap(),
                    role: Role::Staff,
                }
            }
        };
        let approver = staff("approver@kyosai.jp").await;
        let co_manager = |n: usize| {
            let mut f = sample_form("small_enterprise");
            f.role = Some("co_manager".into());
            f.family_name_kana = Some(["イチ", "ニ", "サン", "ヨン"][n].into());
            f
        };
        // Three apply while none is approved yet: each goes to review.
        let mut filed = Vec::new();
        for n in 0..3 {
            let m = member(&app, &format!("co{n}@example.jp")).await;
            let r = app
                .submit_enrollment(&m, m.user_id, &co_manager(n))
                .await
                .unwrap();
            assert_eq!(r.status, kyosai_domain::ApplicationStatus::InReview);
            filed.push(r.application_id);
        }
        for id in &filed[..2] {
            let a = app.application(&approver, *id).await.unwrap();
            app.approve(&approver, a.id, a.version, "書類を確認しました")
                .await
                .unwrap();
        }
        // The third approval would make three: refused, nothing created.
        let a = app.application(&approver, filed[2]).await.unwrap();
        assert!(matches!(
            app.approve(&approver, a.id, a.version, "書類を確認しました")
                .await,
            Err(AppError::Conflict {
                code: "co_manager_limit",
                ..
            })
        ));
        // A fourth submission is refused at once with a field error on the business.
        let m = member(&app, "co3@example.jp").await;
        match app.submit_enrollment(&m, m.user_id, &co_manager(3)).await {
            Err(AppError::Invalid(errs)) => {
                assert!(
                    errs.iter()
                        .any(|e| e.field == "business_name" && e.message.contains("2人まで")),
                    "{errs:?}"
                );
            }
            other => panic!("expected refusal, got {other:?}"),
        }
        // Another business still has room.
        let mut other = co_manager(3);
        other.business_name = Some("別の商店".into());
        let r = app.submit_enrollment(&m, m.user_id, &other).await;
        assert!(r.is_ok(), "{r:?}");
    }
}

#[tokio::test]
async fn kana_digits_and_dates_are_normalised_before_the_checks_and_stored_so() {
    for (app, _d) in apps().await {
        let m = member(&app, "norm@example.jp").await;
        let mut form = sample_form("small_enterprise");
        form.family_name_kana = Some("ﾔﾏﾀﾞ".into());
        form.given_name_kana = Some("たろう".into());
        form.birth_date = Some("１９７５年４月１日".into());
        form.phone = Some("０３－１２３４－５６７８".into());
        form.monthly_premium_yen = Some("３万円".into());
        form.account_holder_kana = Some("ﾔﾏﾀﾞ ﾀﾛｳ".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        // The holder matches the normalised フリガナ: no review for someone else's account.
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::Completed);
        let mut conn = app.store_for_tests().read().await.unwrap();
        let stored = applications::get(&mut conn, r.application_id)
            .await
            .unwrap()
            .unwrap();
        let payload: serde_json::Value = serde_json::from_str(&stored.payload).unwrap();
        assert_eq!(payload["family_name_kana"], "ヤマダ");
        assert_eq!(payload["given_name_kana"], "タロウ");
        assert_eq!(payload["birth_date"], "1975-04-01");
        assert_eq!(payload["phone"], "03-1234-5678");
        assert_eq!(payload["monthly_premium_yen"], "30000");
        assert_eq!(payload["account_holder_kana"], "ヤマダ　タロウ");
    }
}

#[tokio::test]
async fn names_with_emoji_and_kana_with_letters_are_refused() {
    for (app, _d) in apps().await {
        let m = member(&app, "emoji@example.jp").await;
        let mut form = sample_form("small_enterprise");
        form.family_name = Some("田中😀".into());
        form.given_name = Some("太郎1".into());
        form.business_name = Some("田中商店🏪".into());
        form.family_name_kana = Some("tanaka".into());
        let Err(AppError::Invalid(errors)) = app.submit_enrollment(&m, m.user_id, &form).await
        else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "family_name",
                "given_name",
                "family_name_kana",
                "business_name"
            ]
        );
        assert!(errors[0].message.contains("使えない文字（絵文字"));
        assert!(errors[1].message.contains("数字・記号・絵文字は使えません"));
        assert_eq!(count(&app, "applications").await, 0);
    }
}

#[tokio::test]
async fn a_safety_net_corporation_gives_its_corporate_number_and_representative() {
    for (app, _d) in apps().await {
        let m = member(&app, "corp@example.jp").await;
        let mut form = sample_form("safety_net");
        form.legal_form = Some("company".into());
        form.capital_yen = Some("1000万".into());
        let Err(AppError::Invalid(errors)) = app.submit_enrollment(&m, m.user_id, &form).await
        else {
            panic!("accepted without the corporation fields");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "corporate_number",
                "representative_name",
                "representative_kana"
            ]
        );
        form.corporate_number = Some("7000012050003".into());
        form.representative_name = Some("山田 太郎".into());
        form.representative_kana = Some("ﾔﾏﾀﾞ ﾀﾛｳ".into());
        let Err(AppError::Invalid(errors)) = app.submit_enrollment(&m, m.user_id, &form).await
        else {
            panic!("accepted a wrong check digit");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code),
            ("corporate_number", "check_digit")
        );
        form.corporate_number = Some("７０００－０１２０－５０００２".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        let mut conn = app.store_for_tests().read().await.unwrap();
        let stored = applications::get(&mut conn, r.application_id)
            .await
            .unwrap()
            .unwrap();
        let payload: serde_json::Value = serde_json::from_str(&stored.payload).unwrap();
        assert_eq!(payload["corporate_number"], "7000012050002");
        assert_eq!(payload["representative_kana"], "ヤマダ　タロウ");
        let parsed = kyosai_app::enrollment::EnrollmentForm::parse(&form).unwrap();
        assert_eq!(
            parsed.corporation.map(|c| c.number.digits()),
            Some("7000012050002".into())
        );
    }
}
