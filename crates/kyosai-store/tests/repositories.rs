//! Every repository on every backend available (SQLite always, PostgreSQL when configured).

use kyosai_domain::{ContractId, UserId};
use kyosai_store::{
    StoreError, audit, contracts, drafts, idempotency, next_contract_serial, outbox, testing, users,
};
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

async fn append_three(store: &kyosai_store::Store, key: &audit::AuditKey) {
    let mut tx = store.begin_write().await.expect("write transaction");
    for i in 0..3 {
        let after = json!({ "n": i });
        audit::append(
            tx.conn(),
            key,
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
        .expect("audit row appended");
    }
    tx.commit().await.expect("committed");
}

/// Removes the append-only triggers, as someone with the database's owner rights could.
async fn drop_guards(store: &kyosai_store::Store, c: &mut sqlx::AnyConnection) {
    let statements: &[&str] = match store.backend() {
        kyosai_store::Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        kyosai_store::Backend::Postgres => &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
        ],
    };
    for s in statements {
        sqlx::query(*s)
            .execute(&mut *c)
            .await
            .expect("trigger dropped");
    }
}

/// Issue #15 item 3: the database refuses UPDATE and DELETE on the audit log; with the guards
/// removed, an edited row, a recomputed chain without the key, and deleted newest rows (with the
/// head moved back) are each detected (the last one by the signed checkpoint).
#[tokio::test]
async fn audit_chain_detects_tampering() {
    let key = audit::AuditKey::from_bytes([42; 32]);
    for (store, dir) in testing::all().await.unwrap() {
        append_three(&store, &key).await;
        let mut c = store.read().await.unwrap();
        assert_eq!(audit::verify(&mut c, &key).await.unwrap().rows, 3);
        assert_eq!(audit::for_target(&mut c, "thing:1").await.unwrap().len(), 3);
        // Another key does not verify: the links are keyed.
        assert!(
            audit::verify(&mut c, &audit::AuditKey::development())
                .await
                .is_err()
        );
        // Append-only in the database.
        for sql in [
            "UPDATE audit_log SET after_state = '{\"n\":9}' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 3",
        ] {
            assert!(sqlx::query(sql).execute(&mut *c).await.is_err(), "{sql}");
        }
        // A checkpoint of the intact chain.
        let folder = tempfile::tempdir().unwrap();
        let checkpoints = folder.path().join("audit-checkpoints.log");
        let cp = audit::write_checkpoint(&mut c, &key, &checkpoints, NOW)
            .await
            .unwrap();
        assert_eq!(cp.rows, 3);
        assert_eq!(
            audit::verify_checkpoints(&mut c, &key, &checkpoints)
                .await
                .unwrap(),
            1
        );
        drop_guards(&store, &mut c).await;
        // The newest row deleted: the head no longer matches.
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(&mut *c)
            .await
            .unwrap();
        let err = audit::verify(&mut c, &key).await.unwrap_err().to_string();
        assert!(err.contains("head"), "{err}");
        // …and the head moved back too: the chain verifies, the checkpoint does not.
        sqlx::query(
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2) WHERE id = 1",
        )
        .execute(&mut *c)
        .await
        .unwrap();
        assert_eq!(audit::verify(&mut c, &key).await.unwrap().rows, 2);
        assert!(
            audit::verify_checkpoints(&mut c, &key, &checkpoints)
                .await
                .is_err()
        );
        // An edited row is detected.
        sqlx::query("UPDATE audit_log SET after_state = '{\"n\":9}' WHERE seq = 2")
            .execute(&mut *c)
            .await
            .unwrap();
        assert!(audit::verify(&mut c, &key).await.is_err());
        drop(dir);
    }
}

/// A chain recomputed with SHA-256 (what anyone can do without the key) does not verify.
/// Rows appended together (a procedure's rows, in two statements) chain exactly as rows
/// appended one by one: in order, after the rows before them, and the head names the last.
#[tokio::test]
async fn rows_appended_together_continue_the_chain_in_order() {
    let key = audit::AuditKey::from_bytes([7; 32]);
    for (store, _dir) in testing::all().await.unwrap() {
        append_three(&store, &key).await;
        let values: Vec<serde_json::Value> = (3..6).map(|i| json!({ "n": i })).collect();
        let entries: Vec<audit::Entry<'_>> = values
            .iter()
            .enumerate()
            .map(|(i, after)| audit::Entry {
                actor: "user:2",
                action: if i == 1 {
                    "other.changed"
                } else {
                    "thing.changed"
                },
                target: "thing:1",
                before: (i == 2).then_some(after),
                after: Some(after),
                at: NOW,
            })
            .collect();
        let mut tx = store.begin_write().await.unwrap();
        assert_eq!(
            audit::append_all(tx.conn(), &key, &entries).await.unwrap(),
            6
        );
        assert_eq!(audit::append_all(tx.conn(), &key, &[]).await.unwrap(), 0);
        tx.commit().await.unwrap();
        append_three(&store, &key).await;

        let mut c = store.read().await.unwrap();
        let verified = audit::verify(&mut c, &key).await.unwrap();
        assert_eq!(verified.rows, 9);
        let rows = audit::for_target(&mut c, "thing:1").await.unwrap();
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=9).collect::<Vec<_>>());
        assert_eq!(rows[4].action, "other.changed");
        assert_eq!(rows[5].before.as_deref(), Some(r#"{"n":5}"#));
        assert_eq!(rows[3].before, None);
        // The other key cannot have written them.
        assert!(
            audit::verify(&mut c, &audit::AuditKey::development())
                .await
                .is_err()
        );
    }
}

fn entry(after: &serde_json::Value) -> audit::Entry<'_> {
    audit::Entry {
        actor: "user:3",
        action: "thing.changed",
        target: "thing:2",
        before: None,
        after: Some(after),
        at: NOW,
    }
}

/// Issue #16 item 1: on PostgreSQL a writer does not wait for another's audit chain: a second
/// transaction appending while the first holds chain 1 takes chain 2. Both chains verify, a
/// checkpoint names each chain's last row, and removing the newest row of the second chain is
/// caught by its head and then by its checkpoint, as for the first.
#[tokio::test]
async fn concurrent_writers_append_to_separate_chains() {
    let key = audit::AuditKey::from_bytes([5; 32]);
    let Some(store) = testing::postgres().await.unwrap() else {
        return;
    };
    let (a, b) = (json!({ "n": 1 }), json!({ "n": 2 }));
    let mut first = store.begin_write().await.unwrap();
    let mut second = store.begin_write().await.unwrap();
    let seq_first = audit::append_all(first.conn(), &key, &[entry(&a), entry(&a)])
        .await
        .unwrap();
    // Would wait for `first` to commit if both wanted chain 1.
    let seq_second = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        audit::append_all(second.conn(), &key, &[entry(&b)]),
    )
    .await
    .expect("the second writer took another chain instead of waiting")
    .unwrap();
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    assert_ne!(seq_first, seq_second);

    let mut c = store.read().await.unwrap();
    let verified = audit::verify(&mut c, &key).await.unwrap();
    assert_eq!(verified.rows, 3);
    let used: Vec<(i64, i64)> = verified
        .heads
        .iter()
        .filter(|h| h.seq > 0)
        .map(|h| (h.chain, h.seq))
        .collect();
    assert_eq!(used, vec![(1, seq_first), (2, seq_second)]);
    let rows = audit::for_target(&mut c, "thing:2").await.unwrap();
    assert_eq!(rows.len(), 3);

    let folder = tempfile::tempdir().unwrap();
    let checkpoints = folder.path().join("audit-checkpoints.log");
    audit::write_checkpoint(&mut c, &key, &checkpoints, NOW)
        .await
        .unwrap();
    assert_eq!(
        audit::verify_checkpoints(&mut c, &key, &checkpoints)
            .await
            .unwrap(),
        2
    );
    drop_guards(&store, &mut c).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(seq_second)
        .execute(&mut *c)
        .await
        .unwrap();
    let err = audit::verify(&mut c, &key).await.unwrap_err().to_string();
    assert!(err.contains("chain 2"), "{err}");
    sqlx::query("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 2")
        .bind("0".repeat(64))
        .execute(&mut *c)
        .await
        .unwrap();
    assert_eq!(audit::verify(&mut c, &key).await.unwrap().rows, 2);
    assert!(
        audit::verify_checkpoints(&mut c, &key, &checkpoints)
            .await
            .is_err()
    );
    // A row put in a chain that has no head is not silently ignored.
    sqlx::query(
        "INSERT INTO audit_log (seq, chain, at, actor, action, target, prev_hash, hash) \
         VALUES (999999, 99, $1, 'x', 'x', 'x', 'x', 'x')",
    )
    .bind(NOW)
    .execute(&mut *c)
    .await
    .unwrap();
    let err = audit::verify(&mut c, &key).await.unwrap_err().to_string();
    assert!(err.contains("no chain"), "{err}");
}

#[tokio::test]
async fn a_chain_recomputed_without_the_key_is_detected() {
    let key = audit::AuditKey::from_bytes([9; 32]);
    for (store, _dir) in testing::all().await.unwrap() {
        append_three(&store, &key).await;
        let mut c = store.read().await.unwrap();
        drop_guards(&store, &mut c).await;
        // The whole chain rewritten with another (here: the public development) key, the best
        // an attacker without our key can do.
        let forger = audit::AuditKey::development();
        sqlx::query("DELETE FROM audit_log")
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 1")
            .bind("0".repeat(64))
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        append_three(&store, &forger).await;
        let mut c = store.read().await.unwrap();
        assert!(audit::verify(&mut c, &forger).await.is_ok());
        assert!(audit::verify(&mut c, &key).await.is_err());
    }
}

#[tokio::test]
async fn counters_outbox_drafts_idempotency() {
    for (store, _dir) in testing::all().await.unwrap() {
        let mut c = store.read().await.unwrap();
        let a = next_contract_serial(&mut c).await.unwrap();
        let b = next_contract_serial(&mut c).await.unwrap();
        assert_eq!((a, b), (1_000_001, 1_000_002));
        let last = kyosai_store::synthetic::reserve_contract_serials(&mut c, 10)
            .await
            .unwrap();
        assert_eq!(last, 1_000_012);
        assert_eq!(next_contract_serial(&mut c).await.unwrap(), 1_000_013);

        let id = outbox::enqueue(&mut c, "mail", "{}", NOW).await.unwrap();
        assert_eq!(outbox::pending(&mut c, 10).await.unwrap().len(), 1);
        outbox::mark_done(&mut c, &[id], NOW).await.unwrap();
        assert!(outbox::pending(&mut c, 10).await.unwrap().is_empty());

        drafts::put(&mut c, UserId::new(1), "safety_net", "{\"a\":1}", NOW)
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
        idempotency::claim(&mut c, uid, "k1", "h", NOW)
            .await
            .unwrap();
        idempotency::record_answer(&mut c, uid, "k1", 201, "{}")
            .await
            .unwrap();
        assert_eq!(
            idempotency::get(&mut c, uid, "k1").await.unwrap(),
            Some(r.clone())
        );
        assert!(
            idempotency::claim(&mut c, uid, "k1", "h", NOW)
                .await
                .is_err(),
            "key is unique"
        );
    }
}

/// A stored value the domain does not know is reported by the store, naming the column, not
/// handed to callers as text to re-check.
#[tokio::test]
async fn a_corrupt_contract_or_mandate_is_corrupt_on_read() {
    for (store, _dir) in testing::all().await.unwrap() {
        let mut tx = store.begin_write().await.unwrap();
        let member = users::insert(
            tx.conn(),
            &users::NewUser {
                role: "member",
                email: "corrupt@example.jp",
                display_name: "山田",
                password_hash: None,
                verified_at: None,
                agency_id: None,
                now: NOW,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO applications (program, procedure, channel, member_id, status, received_at, rule_set, \
             payload, checks, person_key) \
             VALUES ('small_enterprise', 'enrollment', 'online', $1, 'completed', $2, 'r', '{}', '[]', 'p')",
        )
        .bind(member)
        .bind(NOW)
        .execute(&mut *tx.conn())
        .await
        .unwrap();
        let application: i64 = sqlx::Row::get(
            &sqlx::query("SELECT MAX(id) AS id FROM applications")
                .fetch_one(&mut *tx.conn())
                .await
                .unwrap(),
            "id",
        );
        for (number, program) in [("K1", "x"), ("K2", "small_enterprise")] {
            sqlx::query(
                "INSERT INTO contracts (number, program, member_id, application_id, status, holder_name, \
                 business_name, person_key, start_date, first_debit_month, monthly_premium, frequency, rule_set, \
                 created_at) \
                 VALUES ($1, $2, $3, $4, 'active', '山田', '', 'p', '2026-11-01', '2026-12', 10000, 'monthly', 'r', $5)",
            )
            .bind(number)
            .bind(program)
            .bind(member)
            .bind(application)
            .bind(NOW)
            .execute(&mut *tx.conn())
            .await
            .unwrap();
        }
        let good = contracts::by_number(tx.conn(), "K2")
            .await
            .unwrap()
            .unwrap();
        sqlx::query(
            "INSERT INTO mandates (contract_id, bank_code, branch_code, account_type, account_number, holder_kana, \
             status, created_at) VALUES ($1, '0001', '001', '1', '1234567', 'ﾔﾏﾀﾞ', 'lost', $2)",
        )
        .bind(good.id)
        .bind(NOW)
        .execute(&mut *tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.read().await.unwrap();
        match contracts::by_number(&mut c, "K1").await {
            Err(StoreError::Corrupt(what)) => assert_eq!(what, "contracts.program: x"),
            other => panic!("expected a corrupt row, got {other:?}"),
        }
        match contracts::mandates_for(&mut c, good.id).await {
            Err(StoreError::Corrupt(what)) => assert_eq!(what, "mandates.status: lost"),
            other => panic!("expected a corrupt row, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_payout_is_scheduled_once_per_source_and_number() {
    use kyosai_domain::Yen;
    use kyosai_domain::payout::{PayoutKind, PayoutStatus};
    use kyosai_store::payouts::{self, NewPayout, PayeeAccount};
    for (store, _dir) in testing::all().await.unwrap() {
        let mut tx = store.begin_write().await.unwrap();
        let member = users::insert(
            tx.conn(),
            &users::NewUser {
                role: "member",
                email: "payee@example.jp",
                display_name: "山田",
                password_hash: None,
                verified_at: None,
                agency_id: None,
                now: NOW,
            },
        )
        .await
        .unwrap();
        let application: i64 = sqlx::Row::get(
            &sqlx::query(
                "INSERT INTO applications (program, procedure, channel, member_id, status, received_at, rule_set, \
                 payload, checks, person_key) \
                 VALUES ('small_enterprise', 'enrollment', 'online', $1, 'completed', $2, 'r', '{}', '[]', 'p') \
                 RETURNING id",
            )
            .bind(member)
            .bind(NOW)
            .fetch_one(&mut *tx.conn())
            .await
            .unwrap(),
            "id",
        );
        let contract: ContractId = sqlx::Row::get(
            &sqlx::query(
                "INSERT INTO contracts (number, program, member_id, application_id, status, holder_name, business_name, person_key, \
                 start_date, first_debit_month, monthly_premium, frequency, rule_set, created_at) \
                 VALUES ('K9', 'small_enterprise', $1, $3, 'cancelled', '山田', '', 'p', '2020-01-01', '2020-02', 10000, \
                 'monthly', 'r', $2) RETURNING id",
            )
            .bind(member)
            .bind(NOW)
            .bind(application)
            .fetch_one(&mut *tx.conn())
            .await
            .unwrap(),
            "id",
        );
        tx.commit().await.unwrap();
        let account = PayeeAccount {
            bank_code: "0001".into(),
            branch_code: "001".into(),
            account_type: "ordinary".into(),
            account_number: "1234567".into(),
            holder_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        };
        let mut new = NewPayout {
            contract_id: contract,
            application_id: None,
            kind: PayoutKind::CancellationRefund,
            due_date: jiff::civil::date(2026, 12, 15),
            amount: Yen::new(123_456),
            account: &account,
            source: "cancellation_refund:1",
            seq: 1,
        };
        let mut tx = store.begin_write().await.unwrap();
        payouts::schedule(tx.conn(), &new, NOW).await.unwrap();
        tx.commit().await.unwrap();
        // The same decision's payment again, on another date: refused, nothing added.
        let mut tx = store.begin_write().await.unwrap();
        new.due_date = jiff::civil::date(2026, 12, 16);
        assert!(payouts::schedule(tx.conn(), &new, NOW).await.is_err());
        drop(tx);
        // Its second instalment is another payout.
        let mut tx = store.begin_write().await.unwrap();
        new.seq = 2;
        payouts::schedule(tx.conn(), &new, NOW).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = store.read().await.unwrap();
        let stored = payouts::for_contract(&mut c, contract).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].amount, Yen::new(123_456));
        assert_eq!(stored[0].status, PayoutStatus::Scheduled);
        assert_eq!(stored[0].due_date, jiff::civil::date(2026, 12, 15));
        assert_eq!(stored[0].account, account);
        assert_eq!(
            (stored[1].seq, stored[1].due_date),
            (2, jiff::civil::date(2026, 12, 16))
        );
    }
}

#[tokio::test]
async fn bulk_inserts_keep_every_value_as_written() {
    use kyosai_store::bulk::{self, Cell};
    let texts = [
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "quote \" and backslash \\ and comma, {braces}",
        "NULL",
        "",
        "line\nbreak\ttab",
        "2026-11=39000;2026-10=39000",
    ];
    // More rows than one PostgreSQL statement takes, so batches are joined too.
    let rows: Vec<(i64, Option<&str>, Option<i64>)> = (0..12_003)
        .map(|i: i64| {
            let text = usize::try_from(i % 7)
                .ok()
                .and_then(|k| texts.get(k).copied());
            (i, text, (i % 5 != 0).then_some(-i))
        })
        .collect();
    for (store, _dir) in testing::all().await.unwrap() {
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("CREATE TABLE bulk_probe (id BIGINT PRIMARY KEY, t TEXT, n BIGINT)")
            .execute(tx.conn())
            .await
            .unwrap();
        bulk::insert(tx.conn(), "bulk_probe", &["id", "t", "n"], &rows, |r| {
            vec![Cell::Int(r.0), Cell::OptText(r.1), Cell::OptInt(r.2)]
        })
        .await
        .unwrap();
        let back = sqlx::query("SELECT id, t, n FROM bulk_probe ORDER BY id")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(back.len(), rows.len());
        for (row, want) in back.iter().zip(&rows) {
            let got: (i64, Option<String>, Option<i64>) = (
                kyosai_store::Row::try_get(row, "id").unwrap(),
                kyosai_store::Row::try_get(row, "t").unwrap(),
                kyosai_store::Row::try_get(row, "n").unwrap(),
            );
            assert_eq!(got, (want.0, want.1.map(str::to_string), want.2));
        }
    }
}
