#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! The portal inbox pages (お知らせ, issue #10): the unread count on the portal home, the list
//! with unread notices marked, opening a notice marks it read, another member's is not found.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

#[tokio::test]
async fn a_procedures_mail_is_a_notice_in_the_portal() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = support::spawn(store, Clock::System).await;
        let (c, member) = site.login(Role::Member, "inbox@example.jp").await;
        let (other, _) = site.login(Role::Member, "inbox2@example.jp").await;
        let (_, home) = site.get(&c, "/portal").await;
        assert!(home.contains("未読のお知らせはありません"), "{home}");

        let number = site
            .app
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let (_, home) = site.get(&c, "/portal").await;
        assert!(
            home.contains("未読のお知らせが<strong>1件</strong>"),
            "{home}"
        );

        let (s, list) = site.get(&c, "/portal/notices").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains("未読"));
        let page = site.app.inbox_page(&member, 1).await.unwrap();
        let n = &page.notices[0];
        assert!(list.contains(&n.reference), "{list}");
        assert!(list.contains(&format!("/portal/notices/{}", n.id)));

        let path = format!("/portal/notices/{}", n.id);
        let (s, _) = site.get(&other, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another member's notice");
        let (s, body) = site.get(&c, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains(&number), "the mail's text");
        assert!(body.contains(&n.reference));
        let (_, home) = site.get(&c, "/portal").await;
        assert!(home.contains("未読のお知らせはありません"));
        // A page number that is not a number shows the first page.
        let (s, _) = site.get(&c, "/portal/notices?page=abc").await;
        assert_eq!(s, StatusCode::OK);
    }
}
