//! The 共済金貸付 Exact API over HTTP (issue #12 item 1), on every backend available: evidence
//! uploaded first, then `POST /api/v1/contracts/{number}/bankruptcy-loans` answers 202 in review
//! with the computed limit; a future date, a loss under the small-loss rule or missing evidence
//! is a 422 field error that stores nothing; the same bankruptcy twice is a 409; another
//! member's contract is not found.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count, on};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn post(site: &Site, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(site.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn request(date: &str, loss: i64, evidence: &[&str]) -> Value {
    json!({
        "event": "legal_proceedings",
        "bankruptcy_date": date,
        "partner_name": "株式会社倒産商事",
        "loss_yen": loss,
        "monthly_transactions_yen": 10_000_000,
        "evidence": evidence,
    })
}

fn fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn bankruptcy_loan_requests_over_http() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (_, member) = site.login(Role::Member, "a@example.jp").await;
        let (_, other) = site.login(Role::Member, "b@example.jp").await;
        let number = on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&member, member.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2027-10").await;
        let token = site
            .app
            .issue_token(member.user_id, "test", None)
            .await
            .unwrap();
        let other_token = site
            .app
            .issue_token(other.user_id, "test", None)
            .await
            .unwrap();
        let path = format!("/api/v1/contracts/{number}/bankruptcy-loans");

        // The evidence first (multipart), as a browser or client sends it.
        let c = reqwest::Client::new();
        let boundary = "----kyosai-loan-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence_file\"; filename=\"hasan.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(PDF);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = c
            .post(site.url(&format!("{path}/evidence")))
            .bearer_auth(&token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let evidence: Value = r.json().await.unwrap();
        let id = evidence["token"].as_str().unwrap().to_string();

        // Refused with field errors; nothing stored.
        let stored = "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'bankruptcy_loan'";
        for (req, field) in [
            (request("2027-12-31", 3_000_000, &[&id]), "bankruptcy_date"),
            (request("2027-11-10", 1_000, &[&id]), "loss_yen"),
            (request("2027-11-10", 3_000_000, &[]), "evidence"),
        ] {
            let (s, b) = post(&site, &token, &path, req).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert!(fields(&b).iter().any(|f| f == field), "{field}: {b}");
        }
        assert_eq!(count(&site, stored).await, 0);

        // Accepted: in review, with the limit the calculators give.
        let (s, b) = post(
            &site,
            &token,
            &path,
            request("2027-11-10", 3_000_000, &[&id]),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        assert_eq!(b["status"], "in_review", "{b}");
        assert!(b["limit_yen"].as_i64().unwrap() > 0, "{b}");
        assert!(b["application_id"].as_i64().is_some(), "{b}");
        assert_eq!(count(&site, stored).await, 1);

        // The same bankruptcy again: 409; someone else's contract: 404.
        let (s, b) = post(
            &site,
            &token,
            &path,
            request("2027-11-10", 3_000_000, &[&id]),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        let (s, _) = post(
            &site,
            &other_token,
            &path,
            request("2027-11-10", 3_000_000, &[]),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(count(&site, stored).await, 1);
    }
}
