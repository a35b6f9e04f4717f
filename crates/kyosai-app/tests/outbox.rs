#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Graceful degradation (issue #16): the outbox keeps mail while it cannot be sent, for as long
//! as that lasts, and sends it once it can.

use kyosai_app::App;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mail::{Mailer, deliver_pending};

mod support;

use support::{START, apps, member, on};

async fn attempts(app: &App) -> Vec<i64> {
    let mut c = app.store_for_tests().read().await.unwrap();
    kyosai_store::outbox::pending(&mut c, 100)
        .await
        .unwrap()
        .iter()
        .map(|i| i.attempts)
        .collect()
}

#[tokio::test]
async fn mail_waits_in_the_outbox_through_a_long_outage_and_goes_out_after_it() {
    for (app, _d) in apps().await {
        let m = member(&app, "o@example.jp").await;
        app.submit_enrollment(&m, m.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        // A mail "server" that refuses everything: the folder is a file.
        let blocked = tempfile::NamedTempFile::new().unwrap();
        let down = Mailer::Folder(blocked.path().to_path_buf());
        let t0: jiff::Timestamp = START.parse().unwrap();
        let at = |secs: i64| {
            let t = t0 + jiff::SignedDuration::from_secs(secs);
            on(&app, &t.to_string())
        };
        // Fifteen hours of outage, a delivery round every hour: more than the ten tries after
        // which mail used to be dropped.
        for hour in 0..15 {
            assert_eq!(deliver_pending(&at(hour * 3600), &down).await.unwrap(), 0);
        }
        assert_eq!(attempts(&app).await, vec![15]);
        // Right after a failure the mail is not due: the loop does not spin on it.
        assert_eq!(deliver_pending(&at(14 * 3600 + 1), &down).await.unwrap(), 0);
        assert_eq!(attempts(&app).await, vec![15]);
        // The server is back: the next round sends it.
        let folder = tempfile::tempdir().unwrap();
        let up = Mailer::Folder(folder.path().to_path_buf());
        assert_eq!(deliver_pending(&at(16 * 3600), &up).await.unwrap(), 1);
        assert!(attempts(&app).await.is_empty());
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
    }
}

/// Rendering a mail's PDF waits while the server answers requests (it would take CPU from the
/// members waiting for them): the mail is put off without counting an attempt and the mails
/// behind it go out; it goes out with its PDF at the first round after a quiet stretch (no
/// request started, none in flight), and after five minutes of waiting it goes out even on a
/// server that is never quiet.
#[tokio::test]
async fn a_mail_with_a_pdf_waits_for_a_quiet_moment_but_not_longer_than_five_minutes() {
    for (app, _d) in apps().await {
        let t0: jiff::Timestamp = START.parse().unwrap();
        let at = |secs: i64| {
            let t = t0 + jiff::SignedDuration::from_secs(secs);
            on(&app, &t.to_string())
        };
        let members = [
            member(&app, "q1@example.jp").await,
            member(&app, "q2@example.jp").await,
        ];
        app.submit_enrollment(
            &members[0],
            members[0].user_id,
            &sample_form("small_enterprise"),
        )
        .await
        .unwrap();
        // A mail without a PDF behind the enrollment's (which carries its 契約締結証書).
        app.request_password_reset("q1@example.jp").await.unwrap();
        assert_eq!(attempts(&app).await, vec![0, 0]);

        let folder = tempfile::tempdir().unwrap();
        let up = Mailer::Folder(folder.path().to_path_buf());
        let busy = app.metrics.request_started();
        assert_eq!(
            deliver_pending(&at(1), &up).await.unwrap(),
            1,
            "only the reset mail"
        );
        assert_eq!(attempts(&app).await, vec![0], "put off, not failed");
        assert_eq!(
            deliver_pending(&at(2), &up).await.unwrap(),
            0,
            "not due yet"
        );
        assert_eq!(deliver_pending(&at(4), &up).await.unwrap(), 0, "still busy");
        drop(busy);
        assert_eq!(
            deliver_pending(&at(7), &up).await.unwrap(),
            1,
            "quiet: sent"
        );
        assert!(attempts(&app).await.is_empty());
        let with_pdf = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|eml| eml.contains("application/pdf"))
            .count();
        assert_eq!(with_pdf, 1);

        // A server that is never quiet still sends it once it has waited ten minutes.
        let mut other_person = sample_form("small_enterprise");
        other_person.birth_date = Some("1980-05-05".into());
        app.submit_enrollment(&members[1], members[1].user_id, &other_person)
            .await
            .unwrap();
        assert_eq!(attempts(&app).await, vec![0]);
        let _busy = app.metrics.request_started();
        assert_eq!(deliver_pending(&at(299), &up).await.unwrap(), 0);
        assert_eq!(deliver_pending(&at(301), &up).await.unwrap(), 1);
        assert!(attempts(&app).await.is_empty());
    }
}

#[test]
fn the_back_off_doubles_up_to_an_hour() {
    use kyosai_store::outbox::retry_delay;
    let secs: Vec<u64> = [1, 2, 3, 10, 11, 12, 40]
        .iter()
        .map(|a| retry_delay(*a).as_secs())
        .collect();
    assert_eq!(secs, vec![2, 4, 8, 1024, 2048, 3600, 3600]);
}
