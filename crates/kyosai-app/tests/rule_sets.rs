#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Rule-set versions loaded at run time change results without a rebuild; invalid files are
//! refused with a report and change nothing.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, App, AppError, Clock, Role};
use kyosai_domain::simulation::{PrepaymentDiscountRequest, safety_net_prepayment_discount};
use kyosai_store::testing;

const SHIPPED: &str = include_str!("../../../rules/safety_net/2017-11-01.toml");

fn clock() -> Clock {
    Clock::Fixed("2026-11-26T01:00:00Z".parse().unwrap())
}

/// A new version effective 2026-11-01: prepayment discount 1/1000 and a 10,000-yen minimum premium.
fn new_version() -> String {
    SHIPPED
        .replace("2017-11-01", "2026-11-01")
        .replace("value = \"0.9/1000\"", "value = \"1/1000\"")
        .replacen("value = 5000, source", "value = 10000, source", 1)
}

#[tokio::test]
async fn a_loaded_version_changes_results_from_its_date() {
    for (store, _dir) in testing::all().await.unwrap() {
        let app = App::new(store.clone(), clock(), "http://test").unwrap();
        let req = PrepaymentDiscountRequest {
            monthly_premium_yen: 80_000,
            months_ahead: 11,
        };
        // A second instance over the same database (another server).
        let other = App::new(store.clone(), clock(), "http://test").unwrap();
        let discount = |app: &App, on: &str| {
            safety_net_prepayment_discount(&req, &app.rules.book(), on.parse().unwrap()).unwrap()
        };
        let before = discount(&app, "2026-11-26");
        assert_eq!(before.discount_yen, 4_752);
        let book_before = app.rules.book();

        let id = app.load_rule_set(&new_version(), "cli").await.unwrap();
        assert_eq!(id, "safety_net/2026-11-01");
        // This instance uses it at once, without a restart.
        let after = discount(&app, "2026-11-26");
        assert_eq!(after.discount_yen, 80_000 * 66 / 1000);
        assert_eq!(after.rule_set, "safety_net/2026-11-01");
        // A computation that started before keeps the book it started with.
        let kept = safety_net_prepayment_discount(&req, &book_before, app.clock.today()).unwrap();
        assert_eq!(kept.discount_yen, 4_752);
        // As of a date before the new version, the old rules still apply.
        assert_eq!(discount(&app, "2026-10-31").discount_yen, 4_752);
        // The other instance picks it up on its next refresh, and only once.
        assert_eq!(discount(&other, "2026-11-26").discount_yen, 4_752);
        assert!(other.refresh_rules().await.unwrap());
        assert!(!other.refresh_rules().await.unwrap());
        assert_eq!(
            discount(&other, "2026-11-26").discount_yen,
            80_000 * 66 / 1000
        );
        // So does a fresh start (any command).
        let fresh = App::new(store.clone(), clock(), "http://test").unwrap();
        fresh.refresh_rules().await.unwrap();
        assert_eq!(
            discount(&fresh, "2026-11-26").rule_set,
            "safety_net/2026-11-01"
        );

        // Enrollment checks follow the new minimum premium.
        let m = app
            .create_account(
                Role::Member,
                "r@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let mut form = sample_form("safety_net");
        form.monthly_premium_yen = Some("5000".into());
        let r = app
            .submit_enrollment(
                &Actor {
                    user_id: m,
                    role: Role::Member,
                },
                m,
                &form,
            )
            .await;
        assert!(
            matches!(r, Err(AppError::Invalid(ref f)) if f[0].field == "monthly_premium_yen"),
            "{r:?}"
        );

        // The same version cannot be loaded twice.
        assert!(matches!(
            app.load_rule_set(&new_version(), "cli").await,
            Err(AppError::Conflict { .. })
        ));
    }
}

#[tokio::test]
async fn invalid_rule_files_are_refused_with_a_report() {
    for (store, _dir) in testing::all().await.unwrap() {
        let app = App::new(store.clone(), clock(), "http://test").unwrap();
        let bad = new_version().replace("value = 200000, source", "value = 2000, source");
        match app.load_rule_set(&bad, "cli").await {
            Err(AppError::Invalid(problems)) => assert!(
                problems.iter().any(|p| p.message.contains("premium")),
                "{problems:?}"
            ),
            other => panic!("expected a report, got {other:?}"),
        }
        match app.load_rule_set("id = ", "cli").await {
            Err(AppError::Invalid(problems)) => assert!(!problems.is_empty()),
            other => panic!("expected a report, got {other:?}"),
        }
        assert!(!app.refresh_rules().await.unwrap(), "nothing stored");
        assert_eq!(
            app.rules.book().all().count(),
            App::new(store, clock(), "")
                .unwrap()
                .rules
                .book()
                .all()
                .count(),
        );
    }
}
