//! 共済金等の請求 (issue #11 items 1–3) end to end on every backend: a small claim decided at
//! once with its payout and tax data, bad claims refused with field errors and nothing stored, a
//! large combined claim needing two approvers, one claim per contract, and a death claim by the
//! bereaved into their own account.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::claims::{ClaimForm, ClaimPayoutForm, ClaimantForm};
use kyosai_app::dev::demo::sample_form;
use kyosai_app::evidence::EvidenceConfig;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::ApplicationStatus;
use kyosai_domain::small_enterprise::claim::BenefitKind;
use kyosai_store::ledger::{Opening, append_openings};

mod support;

use support::{apps, count, out_dir};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn claim_apps() -> Vec<(App, Option<kyosai_store::testing::TempDir>)> {
    apps()
        .await
        .into_iter()
        .map(|(app, dir)| {
            let app = app.with_evidence(EvidenceConfig {
                dir: Some(out_dir("claim-evidence")),
                max_bytes: 1024 * 1024,
            });
            (app, dir)
        })
        .collect()
}

async fn staff(app: &App, email: &str) -> Actor {
    let id = app
        .create_account(Role::Staff, email, "職員", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor {
        user_id: id,
        role: Role::Staff,
    }
}

/// A 小規模 member born on `birth` with a contract and `months` months of `monthly` yen paid
/// before Kyosai (an opening balance ending October 2026). Returns the member and the number.
async fn contract(
    app: &App,
    email: &str,
    birth: &str,
    months: i64,
    monthly: i64,
) -> (Actor, String) {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let mut form = sample_form("small_enterprise");
    form.birth_date = Some(birth.into());
    let r = app.submit_enrollment(&member, id, &form).await.unwrap();
    let number = r.contract.unwrap().number;
    let mut conn = app.store_for_tests().begin_write().await.unwrap();
    let c = kyosai_store::contracts::by_number(conn.conn(), &number)
        .await
        .unwrap()
        .unwrap();
    append_openings(
        conn.conn(),
        &[Opening {
            contract_id: c.id,
            month: "2026-10".into(),
            amount: months * monthly,
            months,
        }],
        "2026-11-01T00:00:00Z",
    )
    .await
    .unwrap();
    conn.commit().await.unwrap();
    (member, number)
}

fn lump_sum(event: &str, date: &str) -> ClaimForm {
    ClaimForm {
        event: Some(event.into()),
        event_date: Some(date.into()),
        payout: ClaimPayoutForm {
            form: Some("lump_sum".into()),
            ..ClaimPayoutForm::default()
        },
        ..ClaimForm::default()
    }
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn conflict(e: AppError) -> String {
    match e {
        AppError::Conflict { code, .. } => code.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_small_claim_is_decided_at_once_with_its_payout_and_tax_data() {
    for (app, _dir) in claim_apps().await {
        // 10,000 yen for 5 years: 共済金A 621,400 (REFERENCE §3.3).
        let (member, number) = contract(&app, "a@example.jp", "1975-04-01", 60, 10_000).await;
        let ev = app
            .upload_evidence(&member, &number, "廃業届.pdf", PDF)
            .await
            .unwrap();
        let mut form = lump_sum("business_closed", "2026-11-02");
        form.evidence = vec![ev.token.clone()];
        let done = app
            .submit_claim(&member, &number, &form, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            done.status,
            ApplicationStatus::Completed,
            "{:?}",
            done.checks
        );
        assert_eq!(done.benefit_kind, BenefitKind::A);
        assert!(done.explanation.contains("共済金A"), "{}", done.explanation);
        assert_eq!(done.gross_yen, 621_400);
        assert!(done.deductions.is_empty());
        assert_eq!(done.net_yen, 621_400);
        // Reconstructed from an opening balance: 概算. The contract period for the 退職所得控除
        // runs from the first premium month (November 2021): 5 years and a day, 6 years.
        assert!(done.estimate);
        assert_eq!(done.payouts.len(), 1);
        assert_eq!(done.payouts[0].yen, 621_400);
        // Five bank business days after Monday 2 November 2026 (3 Nov is a holiday).
        assert_eq!(done.payouts[0].date.to_string(), "2026-11-10");
        let id = done.application_id;
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) AS n FROM payouts WHERE application_id = {id} AND kind = 'benefit' AND amount = 621400 AND status = 'scheduled'")).await,
            1
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM payout_tax WHERE income_class = 'retirement' AND contract_years = 6 AND retirement_deduction = 2400000").await,
            1
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM contracts WHERE status = 'cancelled' AND cancellation_kind = 'benefit_claim'").await,
            1
        );
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) AS n FROM evidence WHERE application_id = {id}")
            )
            .await,
            1
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%支払決定通知書兼振込通知書%' AND payload LIKE '%621,400%'").await,
            1
        );
        // One claim per contract.
        let again = app
            .submit_claim(
                &member,
                &number,
                &lump_sum("business_closed", "2026-11-02"),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(conflict(again), "claim_exists");
    }
}

#[tokio::test]
async fn bad_claims_are_refused_field_by_field_and_store_nothing() {
    for (app, _dir) in claim_apps().await {
        let (member, number) = contract(&app, "b@example.jp", "1975-04-01", 60, 10_000).await;
        let submit = |form: ClaimForm| {
            let app = app.clone();
            let member = member.clone();
            let number = number.clone();
            async move {
                app.submit_claim(&member, &number, &form, None)
                    .await
                    .unwrap_err()
            }
        };
        assert_eq!(
            fields(submit(lump_sum("lottery_win", "2026-11-02")).await),
            ["event"]
        );
        assert_eq!(
            fields(submit(lump_sum("business_closed", "2026-11-03")).await),
            ["event_date"]
        );
        assert_eq!(
            fields(submit(lump_sum("business_closed", "2026-11-01")).await),
            ["event_date"]
        );
        // A sole proprietor's company cannot be dissolved.
        assert_eq!(
            fields(submit(lump_sum("company_dissolved", "2026-11-02")).await),
            ["event"]
        );
        // 51 years old and 621,400 yen: no instalments (REFERENCE §3.5).
        let mut inst = lump_sum("business_closed", "2026-11-02");
        inst.payout = ClaimPayoutForm {
            form: Some("instalments".into()),
            years: Some("10".into()),
            ..ClaimPayoutForm::default()
        };
        assert_eq!(fields(submit(inst).await), ["payout.form"]);
        // A claimant only on death; a death claim needs one.
        let mut not_death = lump_sum("business_closed", "2026-11-02");
        not_death.claimant = Some(ClaimantForm::default());
        assert_eq!(fields(submit(not_death).await), ["claimant"]);
        assert_eq!(
            fields(submit(lump_sum("death", "2026-11-02")).await),
            ["claimant"]
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'benefit_claim'"
            )
            .await,
            0
        );
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payouts").await, 0);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM contracts WHERE status = 'active'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn a_large_combined_claim_needs_two_approvers_and_schedules_every_instalment() {
    for (app, _dir) in claim_apps().await {
        // 30,000 yen for 20 years: 3 × 2,786,400 = 8,359,200 (REFERENCE §3.3), age 66.
        let (member, number) = contract(&app, "c@example.jp", "1960-01-01", 240, 30_000).await;
        let ev = app
            .upload_evidence(&member, &number, "haigyo.pdf", PDF)
            .await
            .unwrap();
        let mut form = lump_sum("business_closed", "2026-11-02");
        form.evidence = vec![ev.token];
        form.payout = ClaimPayoutForm {
            form: Some("combined".into()),
            years: Some("10".into()),
            lump_sum_yen: Some("1,000,000".into()),
        };
        let done = app
            .submit_claim(&member, &number, &form, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::InReview);
        assert_eq!(done.gross_yen, 8_359_200);
        assert!(
            done.checks
                .iter()
                .any(|c| c.code == "amount_threshold" && c.message.contains("職員2名"))
        );
        assert_eq!(done.payouts.len(), 61);
        assert_eq!(
            done.payouts.iter().map(|p| p.yen).sum::<i64>(),
            done.net_yen
        );
        // A second claim waits for the first.
        let e = app
            .submit_claim(
                &member,
                &number,
                &lump_sum("business_closed", "2026-11-02"),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "claim_exists");
        let id = done.application_id;
        let first = staff(&app, "first@example.jp").await;
        let second = staff(&app, "second@example.jp").await;
        let version = || async {
            count(
                &app,
                &format!("SELECT version AS n FROM applications WHERE id = {id}"),
            )
            .await
        };
        app.approve(&first, id, version().await, "廃業届を確認")
            .await
            .unwrap();
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payouts").await, 0);
        let e = app
            .approve(&first, id, version().await, "再確認")
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "maker_checker");
        app.approve(&second, id, version().await, "確認済み")
            .await
            .unwrap();
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) AS n FROM applications WHERE id = {id} AND status = 'completed'")).await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM payouts WHERE kind = 'benefit_instalment'"
            )
            .await,
            60
        );
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM payouts"
            )
            .await,
            done.net_yen
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM payout_tax WHERE income_class = 'public_pension'"
            )
            .await,
            60
        );
    }
}

#[tokio::test]
async fn a_death_claim_is_filed_by_the_bereaved_and_paid_into_their_account() {
    for (app, _dir) in claim_apps().await {
        let (member, number) = contract(&app, "d@example.jp", "1970-05-05", 36, 20_000).await;
        let mut form = lump_sum("death", "2026-11-02");
        form.claimant = Some(ClaimantForm {
            relation: Some("spouse".into()),
            name: Some("山田 花子".into()),
            name_kana: Some("ヤマダ ハナコ".into()),
            birth_date: Some("1972-03-03".into()),
            address: Some("東京都千代田区1-1".into()),
            phone: None,
        });
        // Without an account: the bereaved must name one.
        assert_eq!(
            fields(
                app.submit_claim(&member, &number, &form, None)
                    .await
                    .unwrap_err()
            ),
            ["bank_code"]
        );
        form.bank_code = Some("0001".into());
        form.branch_code = Some("001".into());
        form.account_type = Some("ordinary".into());
        form.account_number = Some("7654321".into());
        form.account_holder_kana = Some("ヤマダ ハナコ".into());
        let done = app
            .submit_claim(&member, &number, &form, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::InReview);
        assert_eq!(done.benefit_kind, BenefitKind::A);
        assert!(done.checks.iter().any(|c| c.code == "claimant_order"));
        let approver = staff(&app, "e@example.jp").await;
        let id = done.application_id;
        let version = count(
            &app,
            &format!("SELECT version AS n FROM applications WHERE id = {id}"),
        )
        .await;
        app.approve(&approver, id, version, "戸籍謄本で配偶者を確認")
            .await
            .unwrap();
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM payouts WHERE account_number = '7654321'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM payout_tax WHERE income_class = 'deemed_inheritance'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM claims WHERE claimant LIKE '%spouse%'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn a_preview_quotes_the_claim_and_its_payout_forms_and_stores_nothing() {
    for (app, _dir) in claim_apps().await {
        let (member, number) = contract(&app, "p@example.jp", "1975-04-01", 60, 10_000).await;
        let mut form = lump_sum("business_closed", "2026-11-02");
        form.payout = ClaimPayoutForm::default();
        let p = app.claim_preview(&member, &number, &form).await.unwrap();
        assert_eq!(p.benefit_kind, BenefitKind::A);
        assert_eq!(p.gross_yen, 621_400);
        assert_eq!(p.net_yen, 621_400);
        assert!(p.estimate);
        let lump = p.options.iter().find(|o| o.form == "lump_sum").unwrap();
        assert_eq!(lump.payouts.len(), 1);
        assert_eq!(lump.payouts[0].date.to_string(), "2026-11-10");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'benefit_claim'"
            )
            .await,
            0
        );
        let bad = app
            .claim_preview(&member, &number, &lump_sum("business_closed", "2099-01-01"))
            .await
            .unwrap_err();
        assert_eq!(fields(bad), ["event_date"]);
        let other = app
            .create_account(
                Role::Member,
                "q@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let other = Actor {
            user_id: other,
            role: Role::Member,
        };
        assert!(matches!(
            app.claim_preview(&other, &number, &form).await,
            Err(AppError::NotFound)
        ));
        // The claim filed afterwards gives the figures the preview showed.
        let done = app
            .submit_claim(
                &member,
                &number,
                &lump_sum("business_closed", "2026-11-02"),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.net_yen, p.net_yen);
        assert_eq!(done.payouts, lump.payouts);
    }
}

/// 前納減額金 settled with a claim (REFERENCE §2.3): months prepaid and reached earn it, and
/// when a claim ends the contract it is paid with the claim, in its own transfer on the first
/// payment's date, and marked paid.
#[tokio::test]
async fn open_prepayment_discount_is_paid_with_the_claim() {
    for (app, _dir) in claim_apps().await {
        let clerk = staff(&app, "clerk@example.jp").await;
        let (member, number) = contract(&app, "p@example.jp", "1975-04-01", 60, 10_000).await;
        // Twelve months paid ahead in November (November – October).
        let nov = support::on(&app, "2026-11-05T01:00:00Z");
        nov.record_prepayment(
            &clerk,
            &number,
            support::month("2026-11"),
            support::month("2026-11"),
            12,
        )
        .await
        .unwrap();
        // In February, December – February have been reached.
        let feb = support::on(&app, "2027-02-15T01:00:00Z");
        let ev = feb
            .upload_evidence(&member, &number, "廃業届.pdf", PDF)
            .await
            .unwrap();
        let mut form = lump_sum("business_closed", "2027-02-10");
        form.evidence = vec![ev.token.clone()];
        let done = feb
            .submit_claim(&member, &number, &form, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            done.status,
            ApplicationStatus::Completed,
            "{:?}",
            done.checks
        );
        assert!(done.prepayment_discount_yen > 0, "{done:?}");
        let id = done.application_id;
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM payouts WHERE application_id = {id} \
                     AND kind = 'prepayment_discount' AND amount = {} AND due_date = '{}'",
                    done.prepayment_discount_yen, done.payouts[0].date
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM prepayment_discounts d JOIN contracts c ON c.id = d.contract_id \
                     WHERE c.number = '{number}' AND d.status = 'paid_with_refund' AND d.accumulated_yen = {}",
                    done.prepayment_discount_yen
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%前納減額金：%'"
            )
            .await,
            1
        );
    }
}
