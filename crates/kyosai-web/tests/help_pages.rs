//! The help pages (issue #14 item 3): every procedure a member can do online has a public guide
//! with a screenshot of each step (made by the browser walks, embedded in the binary), linked
//! from the procedure's first page; an unknown procedure is not found.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::caller::online_procedure_path;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use kyosai_domain::{Procedure, Program};
use reqwest::StatusCode;

mod support;

#[tokio::test]
async fn every_online_procedure_has_a_guide_linked_from_its_first_page() {
    let (store, _dir) = kyosai_store::testing::sqlite().await.unwrap();
    let site = support::spawn(store, Clock::System).await;
    let (member_client, member) = site.login(Role::Member, "a@example.jp").await;
    let anonymous = support::browser();

    let (s, index) = site.get(&anonymous, "/help").await;
    assert_eq!(s, StatusCode::OK);
    let mut checked = 0;
    for program in Program::ALL {
        let number = site
            .app
            .submit_enrollment(&member, member.user_id, &sample_form(program.as_str()))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let online = Procedure::ALL
            .into_iter()
            .filter_map(|p| online_procedure_path(p, program, &number).map(|path| (p, path)));
        for (procedure, first_page) in online {
            let help = format!("/help/{}", procedure.as_str());
            assert!(index.contains(&format!("href=\"{help}\"")), "{help} listed");
            let (s, body) = site.get(&member_client, &first_page).await;
            assert_eq!(s, StatusCode::OK, "{first_page}");
            assert!(
                body.contains(&format!("href=\"{help}\"")),
                "{first_page} links {help}"
            );

            let (s, guide) = site.get(&anonymous, &help).await;
            assert_eq!(s, StatusCode::OK, "{help}");
            assert!(guide.contains(procedure.name_ja()), "{help}");
            let images: Vec<&str> = guide
                .split("src=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .filter(|src| src.starts_with("/static/help/"))
                .collect();
            assert!(images.len() >= 2, "{help}: {images:?}");
            for src in images {
                let r = anonymous.get(site.url(src)).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{src}");
                assert_eq!(r.headers()["content-type"], "image/jpeg", "{src}");
                let bytes = r.bytes().await.unwrap();
                assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{src} is a JPEG");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} procedures checked");

    // Enrollment (for someone not yet a member of a program): its first step links its guide.
    let (newcomer, _) = site.login(Role::Member, "b@example.jp").await;
    let (s, body) = site.get(&newcomer, "/enroll/small-enterprise/1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("href=\"/help/enrollment\""), "{body}");
    let (s, _) = site.get(&anonymous, "/help/enrollment").await;
    assert_eq!(s, StatusCode::OK);

    let (s, _) = site.get(&anonymous, "/help/no_such_procedure").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
