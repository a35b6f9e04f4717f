//! The staff screen of 納付書 payment files (issue #10): twelve failed months bring a slip; a
//! file with a wrong amount is refused with its line and posts nothing; the right file marks
//! the slip paid, is listed, and cannot be imported twice; members are refused. Every backend.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{Site, count, on};

async fn upload(site: &Site, c: &reqwest::Client, name: &str, csv: &str) -> (StatusCode, String) {
    let (s, _, body) = site
        .upload(
            c,
            "/staff/payments/import",
            "payment_file",
            name,
            csv.as_bytes(),
        )
        .await;
    (s, body)
}

#[tokio::test]
async fn staff_import_a_payment_file_from_the_screen() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-20T01:00:00Z".parse().unwrap())).await;
        let (member_client, member) = site.login(Role::Member, "a@example.jp").await;
        on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        // Twelve failed months; the next run sends the 納付書 instead of debiting the arrears.
        support::months_billed(&site, "2026-11-02T01:00:00Z", "2026-11", "2027-10", false).await;
        let out = std::env::temp_dir().join(format!(
            "kyosai-web-slips-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        ));
        std::fs::create_dir_all(&out).unwrap();
        on(&site.app, "2027-11-06T01:00:00Z")
            .billing_run(
                "2027-12".parse().unwrap(),
                None,
                &out,
                &RunOptions::default(),
                &|_| {},
            )
            .await
            .unwrap();
        let (staff, _) = site.login(Role::Staff, "staff@kyosai.example.jp").await;
        let (s, body) = site.get(&staff, "/staff/payments").await;
        assert_eq!(s, StatusCode::OK);
        let (reference, amount) = {
            let mut conn = site.store.read().await.unwrap();
            let row =
                sqlx::query("SELECT reference, amount FROM payment_slips WHERE status = 'open'")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            let r: String = kyosai_store::Row::try_get(&row, "reference").unwrap();
            let a: i64 = kyosai_store::Row::try_get(&row, "amount").unwrap();
            (r, a)
        };
        assert!(body.contains(&reference), "the open slip is listed: {body}");

        // A wrong amount: refused with its line, nothing posted.
        let wrong = format!(
            "reference,amount,paid_on\n{reference},{},2027-11-15\n",
            amount - 1
        );
        let (s, body) = upload(&site, &staff, "pay-wrong.csv", &wrong).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("2行目") && body.contains("[amount]"),
            "{body}"
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM payment_slips WHERE status = 'paid'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payments.file_refused'"
            )
            .await,
            1
        );

        // The right file: the slip is paid and the file listed; the same bytes again are refused.
        let right = format!("reference,amount,paid_on\n{reference},{amount},2027-11-15\n");
        let (s, body) = upload(&site, &staff, "pay.csv", &right).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("1件の納付書を入金済みにし") && body.contains(&reference),
            "{body}"
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM payment_slips WHERE status = 'paid'"
            )
            .await,
            1
        );
        let (_, body) = site.get(&staff, "/staff/payments").await;
        assert!(body.contains("pay.csv"), "{body}");
        assert!(
            body.contains("入金を待っている納付書はありません"),
            "{body}"
        );
        let (s, _) = upload(&site, &staff, "pay-again.csv", &right).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // No file chosen, and a member: refused.
        let (s, body) = upload(&site, &staff, "empty.csv", "").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("入金ファイルを選んでください"), "{body}");
        let (s, _) = site.get(&member_client, "/staff/payments").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = upload(&site, &member_client, "pay.csv", &right).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}
