//! The 一時貸付金 request through the portal pages (issue #12 item 3): the limit and amount rules
//! from the rule set, field errors for an amount off the unit or above the limit (nothing
//! stored), the confirmation with transfer date, maturity and repayment equal to the API's
//! decision, and the done page; 小規模 contracts and other members' contracts are not offered it.
//! Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::loans::TemporaryLoanForm;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{count, on};

#[tokio::test]
async fn a_member_borrows_a_temporary_loan_through_the_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (member_client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other_client, _) = site.login(Role::Member, "b@example.jp").await;
        let enrolled = on(&site.app, "2026-11-02T01:00:00Z");
        let number = enrolled
            .submit_enrollment(&member, member.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let small = enrolled
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2027-10").await;

        let page = format!("/portal/contracts/{number}/temporary-loan");
        let terms = site
            .app
            .temporary_loan_terms(&member, &number)
            .await
            .unwrap();
        assert!(terms.limit_yen >= terms.min_yen, "{terms:?}");
        let (s, body) = site.get(&member_client, &page).await;
        assert_eq!(s, StatusCode::OK);
        let limit = kyosai_domain::Yen::new(terms.limit_yen).to_string();
        assert!(body.contains(&limit), "{limit}: {body}");
        assert!(
            body.contains(&format!("{}単位", kyosai_domain::Yen::new(terms.unit_yen))),
            "{body}"
        );
        // Offered from the contract page.
        let (_, billing) = site
            .get(
                &member_client,
                &format!("/portal/contracts/{number}/billing"),
            )
            .await;
        assert!(billing.contains(&page), "{billing}");

        // Off the unit, and above the limit: field errors, nothing stored.
        let loans = count(&site, "SELECT COUNT(*) AS n FROM loans").await;
        let apps = count(&site, "SELECT COUNT(*) AS n FROM applications").await;
        let off_unit = (terms.min_yen + 1).to_string();
        let above = (terms.limit_yen + terms.unit_yen).to_string();
        for (amount, says) in [(off_unit.as_str(), "単位"), (above.as_str(), "限度額")] {
            let (s, _, body) = site
                .post(
                    &member_client,
                    &page,
                    &[("amount_yen", amount), ("action", "submit")],
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
            assert!(
                body.contains("error-summary") && body.contains(says),
                "{amount}: {body}"
            );
        }
        assert_eq!(count(&site, "SELECT COUNT(*) AS n FROM loans").await, loans);
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications").await,
            apps
        );

        // The confirmation shows what the decision will be, and stores nothing.
        let amount = terms.min_yen.to_string();
        let quote = site
            .app
            .quote_temporary_loan(
                &member,
                &number,
                &TemporaryLoanForm {
                    amount_yen: Some(amount.clone()),
                },
            )
            .await
            .unwrap();
        let (s, _, body) = site
            .post(
                &member_client,
                &page,
                &[("amount_yen", &amount), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let repayment = kyosai_domain::Yen::new(quote.repayment_yen).to_string();
        assert!(
            body.contains("この内容で借りる") && body.contains(&repayment),
            "{body}"
        );
        assert_eq!(count(&site, "SELECT COUNT(*) AS n FROM loans").await, loans);

        // Submitted: decided, and the loan the API shows has the confirmed figures.
        let (s, _, body) = site
            .post(
                &member_client,
                &page,
                &[("amount_yen", &amount), ("action", "submit")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("貸付けが決定しました") || body.contains("確認中"),
            "{body}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM loans").await,
            loans + 1
        );
        let decided = site.app.contract_loans(&member, &number).await.unwrap();
        assert_eq!(decided.len(), 1);
        assert_eq!(decided[0].amount.get(), terms.min_yen);
        assert_eq!(decided[0].maturity_date, quote.maturity_date);
        assert_eq!(decided[0].disbursement_date, quote.disbursement_date);

        // Not offered for 小規模, and another member's contract is not found.
        let (s, _) = site
            .get(
                &member_client,
                &format!("/portal/contracts/{small}/temporary-loan"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = site.get(&other_client, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
