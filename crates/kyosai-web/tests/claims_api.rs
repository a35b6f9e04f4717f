//! Black-box tests of `POST /api/v1/contracts/{number}/claims` over HTTP on every backend
//! available (issue #11): evidence uploads (hostile files refused), the 201 body, 422 field errors with nothing stored, 409 for a second
//! claim and after a cancellation, 404 for someone else's contract, and Idempotency-Key replay.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_store::ledger::{Opening, append_openings};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count};

/// A 小規模 contract of `member` with 60 months of 10,000 yen paid before Kyosai.
async fn contract(site: &Site, member: &Actor, kana: &str) -> String {
    let mut form = sample_form("small_enterprise");
    form.family_name_kana = Some(kana.into());
    form.account_holder_kana = Some(format!("{kana} タロウ"));
    let number = site
        .app
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    let mut tx = site.store.begin_write().await.unwrap();
    let c = kyosai_store::contracts::by_number(tx.conn(), &number)
        .await
        .unwrap()
        .unwrap();
    append_openings(
        tx.conn(),
        &[Opening {
            contract_id: c.id,
            month: "2026-10".into(),
            amount: 600_000,
            months: 60,
        }],
        "2026-11-01T00:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    number
}

async fn post(
    site: &Site,
    token: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> (StatusCode, Value, bool) {
    let mut r = reqwest::Client::new()
        .post(format!("{}{path}", site.base))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.unwrap();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    (
        resp.status(),
        resp.json().await.unwrap_or(Value::Null),
        replayed,
    )
}

/// A `multipart/form-data` post of one file as `evidence_file`.
async fn upload(
    site: &Site,
    token: &str,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "----kyosai-claims-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence_file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", site.base))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

fn error_fields(v: &Value) -> Vec<String> {
    v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_claim_over_the_api_answers_exactly_as_the_issue_says() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())).await;
        let (_, a) = site.login(Role::Member, "a@example.jp").await;
        let (_, b) = site.login(Role::Member, "b@example.jp").await;
        let number = contract(&site, &a, "ヤマダ").await;
        let other = contract(&site, &b, "スズキ").await;
        let token_a = site.app.issue_token(a.user_id, "test", None).await.unwrap();
        let token_b = site.app.issue_token(b.user_id, "test", None).await.unwrap();
        let path = format!("/api/v1/contracts/{number}/claims");
        let claim = |event: &str, date: &str, payout: Value| json!({ "event": event, "event_date": date, "payout": payout });
        let lump = json!({ "form": "lump_sum" });

        // 422, field by field, nothing stored.
        for (body, field) in [
            (
                claim("won_the_lottery", "2026-11-02", lump.clone()),
                "event",
            ),
            (
                claim("business_closed", "2026-12-01", lump.clone()),
                "event_date",
            ),
            (
                claim("business_closed", "2026-10-31", lump.clone()),
                "event_date",
            ),
            (
                claim(
                    "business_closed",
                    "2026-11-02",
                    json!({ "form": "instalments", "years": 10 }),
                ),
                "payout.form",
            ),
        ] {
            let (s, v, _) = post(&site, &token_a, &path, &body, None).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["code"], "invalid_input");
            assert_eq!(error_fields(&v), [field], "{v}");
        }
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'benefit_claim'"
            )
            .await,
            0
        );

        // Someone else's contract is not found.
        let (s, _, _) = post(
            &site,
            &token_b,
            &path,
            &claim("business_closed", "2026-11-02", lump.clone()),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Evidence: a file that is not a PDF under a PDF name and an empty one are refused and
        // nothing is stored; a real PDF gets a token.
        let upload_path = format!("{path}/evidence");
        for bytes in [&b"MZ\x90\x00 not a pdf"[..], &b""[..]] {
            let (s, v) = upload(&site, &token_a, &upload_path, "haigyo.pdf", bytes).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(error_fields(&v), ["evidence"], "{v}");
        }
        assert_eq!(count(&site, "SELECT COUNT(*) AS n FROM evidence").await, 0);
        let (s, ev) = upload(
            &site,
            &token_a,
            &upload_path,
            "../../haigyo.pdf",
            b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{ev}");
        assert_eq!(ev["file_name"], "haigyo.pdf");
        // Decided at once (every check passes with the evidence attached).
        let mut body = claim("business_closed", "2026-11-02", lump.clone());
        body["evidence"] = json!([ev["token"]]);
        let (s, v, replayed) = post(&site, &token_a, &path, &body, Some("claim-1")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(!replayed);
        assert_eq!(v["status"], "completed");
        assert_eq!(v["benefit_kind"], "A");
        assert_eq!(v["gross_yen"], 621_400);
        assert_eq!(v["deductions"], json!([]));
        assert_eq!(v["net_yen"], 621_400);
        assert_eq!(v["estimate"], true);
        assert_eq!(
            v["payouts"],
            json!([{ "date": "2026-11-10", "yen": 621_400 }])
        );
        assert!(v["application_id"].as_i64().is_some());

        // The same key gives the first answer, byte for byte.
        let (s, again, replayed) = post(&site, &token_a, &path, &body, Some("claim-1")).await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(replayed);
        assert_eq!(again, v);

        // 409: a second claim; and a claim of a cancelled contract.
        let (s, v, _) = post(
            &site,
            &token_a,
            &path,
            &claim("business_closed", "2026-11-02", lump.clone()),
            None,
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("claim_exists"))
        );
        site.app
            .cancel_contract(
                &b,
                &other,
                &kyosai_app::cancellation::CancellationForm {
                    refund_yen: Some(
                        site.app
                            .cancellation_quote(&b, &other)
                            .await
                            .unwrap()
                            .refund_yen
                            .to_string(),
                    ),
                },
                None,
            )
            .await
            .unwrap();
        let (s, v, _) = post(
            &site,
            &token_b,
            &format!("/api/v1/contracts/{other}/claims"),
            &claim("business_closed", "2026-11-02", lump.clone()),
            None,
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("contract_not_active"))
        );
        // The first claim's payout only (the cancellation's refund is a payout of its own).
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM payouts WHERE source LIKE 'claim:%'"
            )
            .await,
            1
        );
    }
}
