//! The staff security screen (issue #15): a second-factor reset recorded by one staff user with
//! the whole identity checklist and confirmed by another (never the same one, never a
//! reviewer), which clears the member's second factor and mails them; and API tokens listed and
//! revoked by approvers only, the revoked token refused at once. Every backend.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::review::StaffPower;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

use support::count;

#[tokio::test]
async fn resets_need_two_staff_users_and_tokens_are_revoked_by_approvers() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = support::spawn(store, Clock::System).await;
        let (_, member) = site.login(Role::Member, "lost@example.jp").await;
        let (first, _) = site.login(Role::Staff, "first@kyosai.example.jp").await;
        let (second, _) = site.login(Role::Staff, "second@kyosai.example.jp").await;
        let (reviewer, reviewer_actor) =
            site.login(Role::Staff, "reviewer@kyosai.example.jp").await;
        site.app
            .set_staff_power("test", reviewer_actor.user_id, StaffPower::Reviewer)
            .await
            .unwrap();

        let (s, body) = site.get(&first, "/staff/security").await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("二段階認証のリセット"), "{body}");

        // An incomplete checklist, and an address that is no member: field errors, nothing kept.
        let (s, _, body) = site
            .post(
                &first,
                "/staff/security/factor-resets",
                &[
                    ("member_email", "lost@example.jp"),
                    ("identity_document", "on"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("本人確認の項目をすべて確認してください"),
            "{body}"
        );
        let all_checked = |email: &'static str| {
            [
                ("member_email", email),
                ("identity_document", "on"),
                ("called_back_registered_phone", "on"),
                ("contract_details_confirmed", "on"),
            ]
        };
        let (s, _, body) = site
            .post(
                &first,
                "/staff/security/factor-resets",
                &all_checked("nobody@example.jp"),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("会員は見つかりません"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM second_factor_resets").await,
            0
        );

        // Recorded by the first; the first cannot confirm it, nor can a reviewer.
        let (s, url, body) = site
            .post(
                &first,
                "/staff/security/factor-resets",
                &all_checked("lost@example.jp"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(url.ends_with("done=requested"), "{url}");
        assert!(body.contains("あなたが記録したリセットです"), "{body}");
        let id = count(&site, "SELECT id AS n FROM second_factor_resets").await;
        let confirm = format!("/staff/security/factor-resets/{id}/confirm");
        let (s, _, body) = site.post(&first, &confirm, &[]).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(body.contains("別の職員が確認してください"), "{body}");
        let (s, _, _) = site.post(&reviewer, &confirm, &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let totp_on = format!(
            "SELECT COUNT(*) AS n FROM users WHERE id = {} AND totp_enabled = 1",
            member.user_id
        );
        assert_eq!(count(&site, &totp_on).await, 1);

        // Confirmed by the second: the second factor is cleared and the member is mailed.
        let (s, url, body) = site.post(&second, &confirm, &[]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(url.ends_with("done=reset"), "{url}");
        assert_eq!(count(&site, &totp_on).await, 0);
        assert_eq!(
            count(
                &site,
                &format!(
                    "SELECT COUNT(*) AS n FROM notices WHERE member_id = {} AND subject LIKE '%二段階認証をリセットしました%'",
                    member.user_id
                ),
            )
            .await,
            1
        );
        let (s, _, _) = site.post(&second, &confirm, &[]).await;
        assert_eq!(s, StatusCode::CONFLICT, "confirmed once only");

        // Tokens: approvers list and revoke; the revoked token is refused at once.
        let token = site
            .app
            .issue_token(member.user_id, "会計ソフト", None)
            .await
            .unwrap();
        let (_, body) = site.get(&first, "/staff/security").await;
        assert!(body.contains("会計ソフト"), "{body}");
        let (_, body) = site.get(&reviewer, "/staff/security").await;
        assert!(
            !body.contains("会計ソフト"),
            "reviewers see no tokens: {body}"
        );
        assert!(body.contains("承認者の権限を持つ職員が行います"), "{body}");
        let before = reqwest::Client::new()
            .get(site.url("/api/v1/overview"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(before.status(), StatusCode::OK);
        let (_, body) = site.get(&first, "/staff/security").await;
        let id = body
            .split("/staff/security/tokens/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_string();
        let revoke = format!("/staff/security/tokens/{id}/revoke");
        let (s, _, _) = site.post(&reviewer, &revoke, &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, url, body) = site.post(&first, &revoke, &[]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(url.ends_with("done=revoked"), "{url}");
        let after = reqwest::Client::new()
            .get(site.url("/api/v1/overview"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        let (s, _, _) = site.post(&first, &revoke, &[]).await;
        assert_eq!(s, StatusCode::CONFLICT, "already revoked");
    }
}
