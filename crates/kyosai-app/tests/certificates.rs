//! Tax certificate figures (issue #13, REFERENCE §7) from a ledger made by the real billing cycle:
//! run → bank simulator → result import each month, with a failed month re-billed, a premium
//! change and a 前納. The certificate's paid amount must equal, to the yen, the year's collected
//! months of the member's own billing history plus the 前納 received.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use kyosai_app::certificates::Unfixed;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::premium_change::PremiumChangeForm;
use kyosai_app::{Actor, App, AppError, Role};
use support::{cycle, month, on};

async fn actor(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

#[tokio::test]
async fn paid_amount_is_the_years_collected_premiums_of_the_billing_history() {
    for (app, _d) in support::apps().await {
        let early = on(&app, "2025-01-06T01:00:00Z");
        let member = actor(&early, Role::Member, "m@example.jp").await;
        let staff = actor(&early, Role::Staff, "s@example.jp").await;
        let number = early
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let safety = early
            .submit_enrollment(&member, member.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let mut m = month("2025-01");
        while m <= month("2025-08") {
            // March fails and is re-billed by the cycle.
            cycle(&app, m, m == month("2025-03")).await;
            if m == month("2025-04") {
                on(&app, "2025-05-02T01:00:00Z")
                    .change_premium(
                        &member,
                        &number,
                        &PremiumChangeForm {
                            monthly_premium_yen: Some("40000".into()),
                            decrease_reason: None,
                        },
                    )
                    .await
                    .unwrap();
            }
            m = m.plus(1);
        }
        // September's debit, then a 前納 of October to December received in September.
        cycle(&app, month("2025-09"), false).await;
        on(&app, "2025-09-25T01:00:00Z")
            .record_prepayment(&staff, &number, month("2025-09"), month("2025-10"), 3)
            .await
            .unwrap();
        let mut m = month("2025-10");
        while m <= month("2026-01") {
            cycle(&app, m, false).await;
            m = m.plus(1);
        }

        let later = on(&app, "2026-02-05T01:00:00Z");
        let cert = later
            .small_enterprise_certificate(&member, &number, 2025)
            .await
            .unwrap();
        let history = later.contract_billing(&member, &number).await.unwrap();
        let collected_2025: i64 = history
            .months
            .iter()
            .filter(|b| b.month.year() == 2025 && b.status == "collected")
            .map(|b| b.amount_yen)
            .sum();
        assert!(
            history
                .months
                .iter()
                .any(|b| b.month == month("2025-03") && b.status == "failed"),
            "the book has a failed month"
        );
        assert_eq!(cert.prepayment_applied_yen, 3 * 40_000);
        assert_eq!(cert.paid_yen, collected_2025 + cert.prepayment_applied_yen);
        let by_month: i64 = cert.by_month.iter().map(|p| p.amount_yen).sum();
        assert_eq!(cert.paid_yen, by_month);
        // Two amounts were billed (30,000 then 40,000) and March was paid late, not twice.
        assert!(cert.by_month.iter().any(|p| p.amount_yen == 30_000));
        assert!(cert.by_month.iter().any(|p| p.amount_yen >= 40_000));
        assert!(!cert.by_month.iter().any(|p| p.month == month("2025-03")));
        // Nothing unpaid and nothing prepaid beyond December: the amount is fixed.
        assert_eq!(cert.unfixed, None);
        assert_eq!(
            cert.deductible_yen,
            Some(cert.paid_yen - cert.prepayment_discount_yen)
        );
        assert_eq!(cert.expected_by_december_yen, None, "a past year");
        // Every premium month of the year is paid once.
        let premium_months: i64 = cert.by_month.iter().map(|p| p.months).sum();
        assert_eq!(premium_months, cert.months_paid_in_year);

        // 倒産防止 has a statement, not a certificate; a year with no premiums is not found.
        assert!(matches!(
            later
                .small_enterprise_certificate(&member, &safety, 2025)
                .await,
            Err(AppError::NotFound)
        ));
        let statement = later
            .safety_net_statement(&member, &safety, 2025)
            .await
            .unwrap();
        assert!(statement.paid_yen > 0);
        assert_eq!(statement.non_deductible_yen, 0);
        assert!(matches!(
            later
                .small_enterprise_certificate(&member, &number, 2024)
                .await,
            Err(AppError::NotFound)
        ));
        // Someone else's contract is not found.
        let other = actor(&later, Role::Member, "o@example.jp").await;
        assert!(matches!(
            later
                .small_enterprise_certificate(&other, &number, 2025)
                .await,
            Err(AppError::NotFound)
        ));

        // The current year: paid so far plus what is still expected by December.
        let now = later
            .small_enterprise_certificate(&member, &number, 2026)
            .await
            .unwrap();
        assert_eq!(now.paid_yen, 40_000, "January 2026 collected");
        assert_eq!(
            now.expected_by_december_yen,
            Some(11 * 40_000),
            "February to December"
        );
        assert_eq!(now.deductible_yen, Some(12 * 40_000));
    }
}

#[tokio::test]
async fn unpaid_premiums_or_a_prepayment_into_next_year_print_stars() {
    for (app, _d) in support::apps().await {
        let early = on(&app, "2025-09-01T01:00:00Z");
        let member = actor(&early, Role::Member, "m@example.jp").await;
        let staff = actor(&early, Role::Staff, "s@example.jp").await;
        let number = early
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let mut m = month("2025-09");
        while m <= month("2025-11") {
            // November's debit fails and stays unpaid at the end of the year.
            cycle(&app, m, m == month("2025-11")).await;
            m = m.plus(1);
        }
        let dec = on(&app, "2025-12-01T01:00:00Z");
        let cert = dec
            .small_enterprise_certificate(&member, &number, 2025)
            .await
            .unwrap();
        assert_eq!(cert.unfixed, Some(Unfixed::UnpaidPremiums));
        assert_eq!(cert.deductible_yen, None);

        // Another contract prepays past December.
        let other = actor(&early, Role::Member, "p@example.jp").await;
        let mut form = sample_form("small_enterprise");
        form.birth_date = Some("1971-02-03".into());
        let prepaid = early
            .submit_enrollment(&other, other.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let first = early
            .contract_billing(&other, &prepaid)
            .await
            .unwrap()
            .next_debit
            .unwrap()
            .month;
        early
            .record_prepayment(&staff, &prepaid, month("2025-09"), first, 12)
            .await
            .unwrap();
        let cert = dec
            .small_enterprise_certificate(&other, &prepaid, 2025)
            .await
            .unwrap();
        assert_eq!(cert.paid_yen, 12 * 30_000);
        assert_eq!(cert.unfixed, Some(Unfixed::CrossYearPrepayment));
        assert_eq!(cert.deductible_yen, None);
    }
}
