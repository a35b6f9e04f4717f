//! The contact center console (issue #14 item 2) through the pages: search by kana and phone,
//! the identity checklist before anything of the caller is shown (a failed check shows nothing
//! and is recorded), the caller's contracts, procedures and debits after it, and a mailed link
//! that opens the online procedure for the member. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use kyosai_domain::UserId;
use kyosai_store::testing;
use reqwest::StatusCode;

mod support;

use support::{Site, count};

async fn sites() -> Vec<(Site, Option<testing::TempDir>)> {
    let mut out = Vec::new();
    for (store, dir) in testing::all().await.unwrap() {
        out.push((support::spawn(store, Clock::System).await, dir));
    }
    out
}

#[tokio::test]
async fn an_operator_identifies_the_caller_then_sees_the_contract_and_mails_a_link() {
    for (site, _dir) in sites().await {
        let (member_client, member) = site.login(Role::Member, "yamada@example.jp").await;
        let number = site
            .app
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let (staff, _) = site.login(Role::Staff, "operator@kyosai.example.jp").await;

        // Found by the kana of the debit account's holder and by the phone as the caller says it.
        for q in ["やまだ", "０３－１２３４－５６７８"] {
            let (s, body) = site
                .get(&staff, &format!("/staff/contact?q={}", urlencode(q)))
                .await;
            assert_eq!(s, StatusCode::OK);
            assert!(
                body.contains(&format!("/staff/contact/callers/{number}")),
                "{q}: {body}"
            );
        }

        // Before the check: the checklist only, nothing of the contract.
        let page = format!("/staff/contact/callers/{number}");
        let (s, body) = site.get(&staff, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("ご本人の確認"), "{body}");
        assert!(!body.contains("山田"), "{body}");

        // Right name but only one other item: refused, the page says which did not match and
        // still shows nothing; the failed check is recorded.
        let (s, _, body) = site
            .post(
                &staff,
                &format!("{page}/check"),
                &[
                    ("name", "山田太郎"),
                    ("postcode", "100-0001"),
                    ("phone", "090-0000-0000"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("本人確認ができませんでした"), "{body}");
        assert!(body.contains("ご登録の電話番号"), "{body}");
        assert!(!body.contains("<caption>この方の契約"), "{body}");
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM caller_checks WHERE passed = 0"
            )
            .await,
            1
        );
        let (_, body) = site.get(&staff, &page).await;
        assert!(body.contains("ご本人の確認"), "{body}");

        // Name, postcode and the last four digits of the account, typed as people say them.
        let (s, url, body) = site
            .post(
                &staff,
                &format!("{page}/check"),
                &[
                    ("name", "山田　太郎"),
                    ("postcode", "〒１００－０００１"),
                    ("account_digits", "4567"),
                ],
            )
            .await;
        assert_eq!((s, url.as_str()), (StatusCode::OK, page.as_str()), "{body}");
        assert!(body.contains("<caption>この方の契約"), "{body}");
        assert!(body.contains("山田"), "{body}");
        assert!(body.contains("加入申込"), "{body}");

        // Another operator has not identified this caller.
        let (other, _) = site.login(Role::Staff, "operator2@kyosai.example.jp").await;
        let (_, body) = site.get(&other, &page).await;
        assert!(body.contains("ご本人の確認"), "{body}");

        // No procedure chosen: a field error, nothing mailed.
        let outbox = count(&site, "SELECT COUNT(*) AS n FROM outbox").await;
        let (s, _, body) = site
            .post(&staff, &format!("{page}/links"), &[("procedure", "")])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("ご案内する手続きを選んでください"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM outbox").await,
            outbox
        );

        // The link mail: in the outbox and the member's notices, and the link opens the page.
        let (s, url, body) = site
            .post(
                &staff,
                &format!("{page}/links"),
                &[("procedure", "premium_change")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(url.ends_with("?sent=premium_change"), "{url}");
        assert!(
            body.contains("「掛金月額の変更」のご案内をメールで送りました"),
            "{body}"
        );
        let link = format!("{}/portal/contracts/{number}/premium", site.base);
        assert_eq!(
            count(
                &site,
                &format!(
                    "SELECT COUNT(*) AS n FROM notices WHERE subject LIKE '%掛金月額の変更%' AND body LIKE '%{link}%'"
                ),
            )
            .await,
            1
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM outbox").await,
            outbox + 1
        );

        // Every procedure the console offers opens for the member.
        let view = site
            .app
            .caller_view(
                &kyosai_app::Actor {
                    user_id: staff_id(&site).await,
                    role: Role::Staff,
                },
                &number,
            )
            .await
            .unwrap();
        assert!(!view.links.is_empty());
        for p in &view.links {
            let path =
                kyosai_app::caller::online_procedure_path(*p, view.program, &number).unwrap();
            let (s, body) = site.get(&member_client, &path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
        }

        // Members never reach the console.
        let (s, _) = site.get(&member_client, &page).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('caller.checked', 'caller.link_sent')"
            )
            .await,
            3
        );
    }
}

/// The first operator's user id (the one who identified the caller).
async fn staff_id(site: &Site) -> UserId {
    UserId::new(
        count(
            site,
            "SELECT id AS n FROM users WHERE email = 'operator@kyosai.example.jp'",
        )
        .await,
    )
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
