#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Graceful degradation (issue #16): the outbox keeps mail while it cannot be sent, for as long
//! as that lasts, and sends it once it can.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::mail::{Mailer, deliver_pending};
use kyosai_app::{Actor, App, Role};

mod support;

use support::{START, apps, on};

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
        let id = app
            .create_account(
                Role::Member,
                "o@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let m = Actor {
            user_id: id,
            role: Role::Member,
        };
        app.submit_enrollment(&m, id, &sample_form("small_enterprise"))
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

#[test]
fn the_back_off_doubles_up_to_an_hour() {
    use kyosai_store::outbox::retry_delay;
    let secs: Vec<u64> = [1, 2, 3, 10, 11, 12, 40]
        .iter()
        .map(|a| retry_delay(*a).as_secs())
        .collect();
    assert_eq!(secs, vec![2, 4, 8, 1024, 2048, 3600, 3600]);
}
