//! Every repository on every backend available (SQLite always, PostgreSQL when configured).

use kyosai_store::{audit, drafts, idempotency, next_counter, outbox, testing, users};
use serde_json::json;

const NOW: &str = "2026-11-26T06:00:00Z";

#[tokio::test]
async fn users_verification_and_totp_replay() {
    for (store, _dir) in testing::all().await.unwrap() {
        let mut tx = store.begin_write().await.unwrap();
        let id = users::insert(
            tx.conn(),
            &users::NewUser {
                role: "member",
                email: "a@example.jp",
                display_name: "山田",
                password_hash: Some("hash"),
                verified_at: None,
                agency_id: None,
                now: NOW,
            },
        )
        .await
        .unwrap();
        users::insert_verification(tx.conn(), "tok", id, "2026-11-27T06:00:00Z")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.read().await.unwrap();
        assert!(
            !users::by_email(&mut c, "a@example.jp")
                .await
                .unwrap()
                .unwrap()
                .email_verified
        );
        assert_eq!(
            users::consume_verification(&mut c, "tok", NOW)
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            users::consume_verification(&mut c, "tok", NOW)
                .await
                .unwrap(),
            None,
            "single use"
        );
        assert!(
            users::by_id(&mut c, id)
                .await
                .unwrap()
                .unwrap()
                .email_verified
        );

        assert!(users::use_totp_step(&mut c, id, 100).await.unwrap());
        assert!(
            !users::use_totp_step(&mut c, id, 100).await.unwrap(),
            "replayed step refused"
        );
        assert!(
            !users::use_totp_step(&mut c, id, 99).await.unwrap(),
            "older step refused"
        );
        assert!(users::use_totp_step(&mut c, id, 101).await.unwrap());

        let dup = users::insert(
            &mut c,
            &users::NewUser {
                role: "member",
                email: "a@example.jp",
                display_name: "",
                password_hash: None,
                verified_at: None,
                agency_id: None,
                now: NOW,
            },
        )
        .await;
        assert!(dup.is_err(), "e-mail is unique");
    }
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    for (store, _dir) in testing::all().await.unwrap() {
        let mut tx = store.begin_write().await.unwrap();
        for i in 0..3 {
            let after = json!({ "n": i });
            audit::append(
                tx.conn(),
                &audit::Entry {
                    actor: "user:1",
                    action: "thing.changed",
                    target: "thing:1",
                    before: None,
                    after: Some(&after),
                    at: NOW,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let mut c = store.read().await.unwrap();
        assert_eq!(audit::verify(&mut c).await.unwrap(), 3);
        assert_eq!(audit::for_target(&mut c, "thing:1").await.unwrap().len(), 3);
        sqlx::query("UPDATE audit_log SET after_state = '{\"n\":9}' WHERE seq = 2")
            .execute(&mut *c)
            .await
            .unwrap();
        assert!(audit::verify(&mut c).await.is_err());
    }
}

#[tokio::test]
async fn counters_outbox_drafts_idempotency() {
    for (store, _dir) in testing::all().await.unwrap() {
        let mut c = store.read().await.unwrap();
        let a = next_counter(&mut c, "contract_serial").await.unwrap();
        let b = next_counter(&mut c, "contract_serial").await.unwrap();
        assert_eq!((a, b), (1_000_001, 1_000_002));

        let id = outbox::enqueue(&mut c, "mail", "{}", NOW).await.unwrap();
        assert_eq!(outbox::pending(&mut c, 10).await.unwrap().len(), 1);
        outbox::mark_done(&mut c, &[id], NOW).await.unwrap();
        assert!(outbox::pending(&mut c, 10).await.unwrap().is_empty());

        drafts::put(&mut c, 1, "safety_net", "{\"a\":1}", NOW)
            .await
            .unwrap_err(); // no user 1 yet (FK)
        let uid = users::insert(
            &mut c,
            &users::NewUser {
                role: "member",
                email: "d@example.jp",
                display_name: "",
                password_hash: None,
                verified_at: None,
                agency_id: None,
                now: NOW,
            },
        )
        .await
        .unwrap();
        drafts::put(&mut c, uid, "safety_net", "{\"a\":1}", NOW)
            .await
            .unwrap();
        drafts::put(&mut c, uid, "safety_net", "{\"a\":2}", NOW)
            .await
            .unwrap();
        assert_eq!(
            drafts::get(&mut c, uid, "safety_net")
                .await
                .unwrap()
                .as_deref(),
            Some("{\"a\":2}")
        );
        drafts::delete(&mut c, uid, "safety_net").await.unwrap();
        assert_eq!(drafts::get(&mut c, uid, "safety_net").await.unwrap(), None);

        let r = idempotency::StoredResponse {
            request_hash: "h".into(),
            status: 201,
            body: "{}".into(),
        };
        idempotency::put(&mut c, uid, "k1", &r, NOW).await.unwrap();
        assert_eq!(
            idempotency::get(&mut c, uid, "k1").await.unwrap(),
            Some(r.clone())
        );
        assert!(
            idempotency::put(&mut c, uid, "k1", &r, NOW).await.is_err(),
            "key is unique"
        );
    }
}
