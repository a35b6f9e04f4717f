#![allow(clippy::unwrap_used)]
//! The procedure framework on every backend available: the channel follows the actor, an
//! `Idempotency-Key` is honoured inside the use case's transaction (also under concurrency), and
//! staff approval completes an application by its procedure.

mod support;

use kyosai_app::dev::demo::sample_form;
use kyosai_app::procedure::{Answer, IdempotencyKey};
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::{ApplicationStatus, Channel};
use kyosai_store::applications;
use support::{apps, count};

async fn account(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("password-123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

async fn channel_of(app: &App, id: i64) -> Channel {
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
