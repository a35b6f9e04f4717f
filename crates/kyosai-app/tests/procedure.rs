#![allow(clippy::unwrap_used)]
//! The procedure framework on every backend available: the channel follows the actor, an
//! `Idempotency-Key` is honoured inside the use case's transaction (also under concurrency), and
//! staff approval completes an application by its procedure.

mod support;

use kyosai_app::dev::demo::sample_form;
use kyosai_app::procedure::{Answer, IdempotencyKey};
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::{ApplicationId, ApplicationStatus, Channel};
use kyosai_store::applications;
use support::{apps, count};

async fn account(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

async fn channel_of(app: &App, id: ApplicationId) -> Channel {
    let mut c = app.store_for_tests().read().await.unwrap();
    applications::get(&mut c, id)
        .await
        .unwrap()
        .unwrap()
        .channel
}

#[tokio::test]
async fn the_channel_follows_who_acts() {
    for (app, _d) in apps().await {
        let online = account(&app, Role::Member, "m1@example.jp").await;
        let on_paper = account(&app, Role::Member, "m2@example.jp").await;
        let at_agency = account(&app, Role::Member, "m3@example.jp").await;
        let staff = account(&app, Role::Staff, "s@example.jp").await;
        let agency = account(&app, Role::Agency, "a@example.jp").await;
        let form = sample_form("safety_net");

        let r = app
            .submit_enrollment(&online, online.user_id, &form)
            .await
            .unwrap();
        assert_eq!(channel_of(&app, r.application_id).await, Channel::Online);
        let r = app
            .submit_enrollment(&staff, on_paper.user_id, &form)
            .await
            .unwrap();
        assert_eq!(channel_of(&app, r.application_id).await, Channel::Paper);
        let r = app
            .submit_enrollment(&agency, at_agency.user_id, &form)
            .await
            .unwrap();
        assert_eq!(channel_of(&app, r.application_id).await, Channel::Agency);

        // A member cannot file for someone else, whatever the channel.
        assert!(matches!(
            app.submit_enrollment(&online, on_paper.user_id, &form)
                .await,
            Err(AppError::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_request() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "k@example.jp").await;
        let form = sample_form("safety_net");
        let text = serde_json::to_string(&form).unwrap();
        let key = IdempotencyKey::new("key-1", &text).unwrap();
        let first = match app
            .submit_enrollment_once(&m, m.user_id, &form, &key)
            .await
            .unwrap()
        {
            Answer::New(r) => r,
            Answer::Replayed { .. } => panic!("the first request is not a replay"),
        };
        assert_eq!(first.status, ApplicationStatus::Completed);
        match app
            .submit_enrollment_once(&m, m.user_id, &form, &key)
            .await
            .unwrap()
        {
            Answer::Replayed { status, body } => {
                assert_eq!(status, 201);
                assert_eq!(body, serde_json::to_string(&first).unwrap());
            }
            Answer::New(_) => panic!("the retry must be replayed"),
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM applications").await,
            1
        );

        // The same key with another request is refused, and nothing is stored.
        let other = sample_form("small_enterprise");
        let reused = IdempotencyKey::new("key-1", &serde_json::to_string(&other).unwrap()).unwrap();
        assert!(matches!(
            app.submit_enrollment_once(&m, m.user_id, &other, &reused)
                .await,
            Err(AppError::Unprocessable {
                code: "idempotency_key_reused",
                ..
            })
        ));
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM applications").await,
            1
        );
        assert!(IdempotencyKey::new("", &text).is_err());
        assert!(IdempotencyKey::new(&"k".repeat(201), &text).is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_make_one_application() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "c@example.jp").await;
        let form = sample_form("small_enterprise");
        let key = IdempotencyKey::new("same", &serde_json::to_string(&form).unwrap()).unwrap();
        let mut tries = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (app, m, form, key) = (app.clone(), m.clone(), form.clone(), key.clone());
            tries
                .spawn(async move { app.submit_enrollment_once(&m, m.user_id, &form, &key).await });
        }
        let mut new = 0;
        let mut bodies = Vec::new();
        while let Some(answer) = tries.join_next().await {
            match answer.unwrap().unwrap() {
                Answer::New(r) => {
                    new += 1;
                    bodies.push(serde_json::to_string(&r).unwrap());
                }
                Answer::Replayed { body, .. } => bodies.push(body),
            }
        }
        assert_eq!(new, 1, "exactly one request does the work");
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "every answer is the first"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM applications").await,
            1
        );
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM contracts").await, 1);
    }
}

/// (status) of each mandate of the contract made by the member's only application.
async fn mandate_statuses(app: &App) -> Vec<String> {
    let mut c = app.store_for_tests().read().await.unwrap();
    let rows = sqlx::query("SELECT status FROM mandates ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .unwrap();
    rows.iter()
        .map(|r| kyosai_store::Row::try_get(r, "status").unwrap())
        .collect()
}

#[tokio::test]
async fn an_account_in_another_name_waits_for_staff_and_approval_completes_it() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "h@example.jp").await;
        let maker = account(&app, Role::Staff, "s1@example.jp").await;

        // Enrollment: 山田太郎 with スズキ ハナコ's account is not completed on the rules.
        let mut form = sample_form("small_enterprise");
        form.account_holder_kana = Some("スズキ ハナコ".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        assert_eq!(r.status, ApplicationStatus::InReview);
        assert!(
            r.assessment
                .review_reasons()
                .iter()
                .any(|c| c.code == "account_holder")
        );
        assert!(r.contract.is_none());
        let a = app.application(&maker, r.application_id).await.unwrap();
        app.approve(
            &maker,
            a.id,
            a.version,
            "ご家族の口座であることを電話で確認",
        )
        .await
        .unwrap();
        let number = app.overview(&m, m.user_id).await.unwrap().contracts[0]
            .number
            .clone();

        // Account change to a third person's account: filed, but no mandate until staff decide.
        let third = kyosai_app::mandate_change::MandateForm {
            bank_code: Some("0009".into()),
            branch_code: Some("001".into()),
            account_type: Some("current".into()),
            account_number: Some("7654321".into()),
            account_holder_kana: Some("タナカ イチロウ".into()),
        };
        let change = app.change_mandate(&m, &number, &third).await.unwrap();
        assert_eq!(change.status, Some(ApplicationStatus::InReview));
        assert!(!change.changed);
        assert_eq!(mandate_statuses(&app).await, ["active"]);
        let id = change.application_id.unwrap();
        let a = app.application(&maker, id).await.unwrap();
        assert_eq!(a.procedure, kyosai_domain::Procedure::MandateChange);
        app.approve(&maker, id, a.version, "名義人の同意書を確認")
            .await
            .unwrap();
        // Approval completed it with the procedure's own step: the new mandate, the old replaced.
        assert_eq!(mandate_statuses(&app).await, ["replaced", "active"]);
        let a = app.application(&maker, id).await.unwrap();
        assert_eq!(a.status, kyosai_domain::ApplicationStatus::Completed);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%引落口座の変更を受け付けました（確認中）%'"
            )
            .await,
            1
        );

        // The same account again (spaced differently) is recognised as already registered.
        let mut again = third.clone();
        again.account_holder_kana = Some("ﾀﾅｶｲﾁﾛｳ".into());
        let again_answer = app.change_mandate(&m, &number, &again).await.unwrap();
        assert_eq!(again_answer.status, None);
        assert!(!again_answer.changed);
        assert_eq!(mandate_statuses(&app).await, ["replaced", "active"]);
    }
}

#[tokio::test]
async fn a_reviewer_prepares_and_only_an_approver_decides() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "r@example.jp").await;
        let reviewer = account(&app, Role::Staff, "rev@example.jp").await;
        let approver = account(&app, Role::Staff, "app@example.jp").await;
        app.set_staff_power(
            "test",
            reviewer.user_id,
            kyosai_app::review::StaffPower::Reviewer,
        )
        .await
        .unwrap();
        let mut form = sample_form("small_enterprise");
        form.account_holder_kana = Some("スズキ ハナコ".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        let a = app.application(&reviewer, r.application_id).await.unwrap();
        assert!(matches!(
            app.approve(&reviewer, a.id, a.version, "確認済み").await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            app.reject(&reviewer, a.id, a.version, "理由").await,
            Err(AppError::Forbidden(_))
        ));
        // Every decision needs a reason.
        assert!(matches!(
            app.approve(&approver, a.id, a.version, "  ").await,
            Err(AppError::Invalid(_))
        ));
        assert_eq!(
            app.application(&approver, a.id).await.unwrap().status,
            ApplicationStatus::InReview
        );
        app.approve(&approver, a.id, a.version, "ご家族の口座と確認")
            .await
            .unwrap();
        assert_eq!(
            app.application(&approver, a.id).await.unwrap().status,
            ApplicationStatus::Completed
        );
        assert_eq!(
            app.staff_power(&reviewer).await.unwrap(),
            Some(kyosai_app::review::StaffPower::Reviewer)
        );
        assert_eq!(app.staff_power(&m).await.unwrap(), None);
    }
}

#[tokio::test]
async fn staff_search_works_on_every_backend_and_takes_wildcards_literally() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "Search.Me@example.jp").await;
        let staff = account(&app, Role::Staff, "st@example.jp").await;
        let r = app
            .submit_enrollment(&m, m.user_id, &sample_form("safety_net"))
            .await
            .unwrap();
        let number = r.contract.unwrap().number;
        for q in [number.as_str(), "山田", "search.me", "田工務"] {
            let hits = app.search_contracts(&staff, q).await.unwrap();
            assert_eq!(hits.len(), 1, "{q}");
            assert_eq!(hits[0].number, number);
        }
        assert!(app.search_contracts(&staff, "%%").await.unwrap().is_empty());
        assert!(app.search_contracts(&staff, "__").await.unwrap().is_empty());
        assert!(matches!(
            app.search_contracts(&m, "山田").await,
            Err(AppError::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn a_second_enrollment_and_a_retry_after_rejection_start_filled_in() {
    for (app, _d) in apps().await {
        let m = account(&app, Role::Member, "again@example.jp").await;
        let staff = account(&app, Role::Staff, "dec@example.jp").await;
        // Nothing known yet: an empty form for the program.
        let empty = app
            .load_draft(m.user_id, kyosai_domain::Program::SafetyNet)
            .await
            .unwrap();
        assert_eq!(empty.family_name, None);

        // A co-manager application is rejected; the retry starts from what was sent.
        let mut form = sample_form("small_enterprise");
        form.role = Some("co_manager".into());
        let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
        let a = app.application(&staff, r.application_id).await.unwrap();
        app.reject(&staff, a.id, a.version, "書類が確認できませんでした")
            .await
            .unwrap();
        let retry = app
            .load_draft(m.user_id, kyosai_domain::Program::SmallEnterprise)
            .await
            .unwrap();
        assert_eq!(retry.family_name, form.family_name);
        assert_eq!(retry.account_number, form.account_number);
        assert_eq!(retry.role, form.role);
        assert_eq!(retry.monthly_premium_yen, form.monthly_premium_yen);
        assert_eq!(retry.declare_truthful, None, "declarations are made afresh");

        // The other program starts with the person, business and bank, not the premium.
        let other = app
            .load_draft(m.user_id, kyosai_domain::Program::SafetyNet)
            .await
            .unwrap();
        assert_eq!(other.program.as_deref(), Some("safety_net"));
        assert_eq!(other.birth_date, form.birth_date);
        assert_eq!(other.postcode, form.postcode);
        assert_eq!(other.bank_code, form.bank_code);
        assert_eq!(other.monthly_premium_yen, None);
        assert_eq!(other.role, None);
    }
}
