//! Black-box test of the 機構解約 staff screen: the router on a real port over a fresh SQLite
//! database, driven by an HTTP client with a cookie jar (no JavaScript).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_domain::YearMonth;
use kyosai_zengin::debit::ResultCode;
use reqwest::StatusCode;

mod support;

/// The candidate id in the first withdraw form of the page.
fn candidate_id(body: &str) -> String {
    let end = body.find("/withdraw\"").unwrap();
    let start = body[..end].rfind('/').unwrap() + 1;
    body[start..end].to_string()
}

#[tokio::test]
async fn staff_prepare_and_a_second_staff_user_confirms() {
    let (store, _dir) = kyosai_store::testing::sqlite().await.unwrap();
    let site = support::spawn(store, Clock::System).await;
    let app = &site.app;
    // A contract whose every debit fails: at 12 unpaid months the arrears are no longer debited
    // and a 納付書 with a deadline is sent (REFERENCE §2.7). The months are billed 90 days ago,
    // so the slip's deadline has passed today.
    let (member_client, member) = site.login(Role::Member, "m@example.jp").await;
    let member = member.user_id;
    let mut early = app.clone();
    early.clock = Clock::Fixed(
        jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(24 * 90))
            .unwrap(),
    );
    let number = app
        .submit_enrollment(
            &Actor {
                user_id: member,
                role: Role::Member,
            },
            member,
            &sample_form("small_enterprise"),
        )
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    let mut month = YearMonth::of(app.clock.today());
    for _ in 0..14 {
        let out = std::env::temp_dir().join(format!(
            "kyosai-web-termination-{}-{month}",
            std::process::id()
        ));
        let runs = early
            .billing_run(
                month,
                None,
                &out,
                &RunOptions {
                    owner: "test".into(),
                    ..RunOptions::default()
                },
                &|_| {},
            )
            .await
            .unwrap();
        for f in runs.iter().flat_map(|r| r.files.iter()) {
            let bytes = std::fs::read(&f.path).unwrap();
            let result =
                simulate_bank(&bytes, 1.0, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
            app.import_result_file(&f.name, &result, "test")
                .await
                .unwrap();
        }
        month = month.plus(1);
    }

    // The member's billing page shows the 納付書 with its reference, amount and deadline.
    let (s, body) = site
        .get(
            &member_client,
            &format!("/portal/contracts/{number}/billing"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("納付書"), "{body}");
    assert!(body.contains(&format!("{number}-01")), "{body}");
    assert!(body.contains("360,000円"), "{body}");
    assert!(body.contains("期限までにお支払いがない場合"), "{body}");

    // Members may not see the screen.
    let m = site.login(Role::Member, "plain@example.jp").await.0;
    let (s, body) = site.get(&m, "/staff/terminations").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("権限がありません"));
    let (s, _, _) = site.post(&m, "/staff/terminations/prepare", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let maker = site.login(Role::Staff, "maker@example.jp").await.0;
    let (s, body) = site.get(&maker, "/staff/terminations").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("候補はありません"));
    assert!(body.contains("候補を作成"));
    let (s, url, body) = site.post(&maker, "/staff/terminations/prepare", &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, "/staff/terminations?done=prepared");
    assert!(body.contains(&number));
    // The 12 months of the slip and the later month whose own debit failed too.
    assert!(body.contains("13か月分"), "{body}");
    assert!(body.contains("390,000円"), "{body}");
    assert!(body.contains("maker@example.jp"));
    assert!(body.contains("ご自身が作成した候補は確定できません"));
    assert!(body.contains("取り下げ"));
    // Preparing again adds nothing, and says so.
    let (s, url, again) = site.post(&maker, "/staff/terminations/prepare", &[]).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(url, "/staff/terminations?done=none_prepared");
    assert!(
        again.contains("新しく候補になった契約はありません"),
        "{again}"
    );
    assert!(!again.contains("候補を作成しました"), "{again}");
    let id = candidate_id(&body);
    // Posting the confirmation anyway is refused with the reason.
    let (s, _, body) = site
        .post(&maker, &format!("/staff/terminations/{id}/confirm"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("別の職員が確定してください"));

    let checker = site.login(Role::Staff, "checker@example.jp").await.0;
    let (_, body) = site.get(&checker, "/staff/terminations").await;
    assert!(body.contains(&format!("/staff/terminations/{id}/confirm")));
    let (s, url, body) = site
        .post(&checker, &format!("/staff/terminations/{id}/confirm"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(url, "/staff/terminations?done=confirmed");
    assert!(body.contains("機構解約を確定しました"));
    assert!(body.contains("解約確定"));
    // No premium was ever collected: the refund is 0 yen (under 12 months paid, §3.4).
    assert!(body.contains("<td>0円</td>"), "{body}");
    assert!(!body.contains(&format!("/staff/terminations/{id}/confirm")));
    // Confirming twice is refused.
    let (s, _, body) = site
        .post(&checker, &format!("/staff/terminations/{id}/confirm"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("すでに確定または取り下げられています"));
}
