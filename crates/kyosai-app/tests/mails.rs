//! Every mail the system sends, as a snapshot (`snapshots/mails__*.snap`): each test drives the
//! real use case at a fixed moment and reads the mail back from the outbox, so an unintended
//! change to a subject or a body shows as a diff in review. Every backend available must write
//! the same mail. After an intended change, re-bless as docs/API.md says ("Snapshot tests").

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::details_change::DetailsForm;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::enrollment::EnrollmentForm;
use kyosai_app::mail::Mail;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::premium_change::PremiumChangeForm;
use kyosai_app::{Actor, App, Role};
use kyosai_domain::ApplicationId;
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, month, no_progress, on, out_dir};

/// Every mail in the outbox, oldest first.
async fn outbox(app: &App) -> Vec<Mail> {
    let mut conn = app.store_for_tests().read().await.unwrap();
    kyosai_store::outbox::pending(&mut conn, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|i| serde_json::from_str(&i.payload).unwrap())
        .collect()
}

/// The mails written since the outbox held `before`.
async fn mails_since(app: &App, before: usize) -> Vec<Mail> {
    outbox(app).await.split_off(before)
}

/// One mail as the snapshot shows it: the attached documents by file name (their numbers are
/// random).
fn text(m: &Mail) -> String {
    let attached: String = m
        .attachments
        .iter()
        .map(|a| format!("Attachment: {}\n", a.file_name))
        .collect();
    format!(
        "To: {}\nSubject: {}\n{attached}\n{}",
        m.to, m.subject, m.body
    )
}

/// A mail without its attachments' document numbers (random per issue), for comparing backends.
fn numbers_blanked(m: &Mail) -> Mail {
    let mut m = m.clone();
    for a in &mut m.attachments {
        assert!(a.document_number.starts_with("KD-"), "{a:?}");
        a.document_number.clear();
    }
    m
}

/// Checks that every backend wrote the same mails, then snapshots them one by one as `names`.
fn assert_mails(per_backend: &[Vec<Mail>], names: &[&str]) {
    let first = &per_backend[0];
    let blanked = |mails: &Vec<Mail>| mails.iter().map(numbers_blanked).collect::<Vec<_>>();
    for other in &per_backend[1..] {
        assert_eq!(
            blanked(other),
            blanked(first),
            "every backend writes the same mails"
        );
    }
    assert_eq!(first.len(), names.len(), "{first:#?}");
    for (name, m) in names.iter().zip(first) {
        insta::assert_snapshot!(*name, text(m));
    }
}

async fn account(app: &App, role: Role, email: &str) -> Actor {
    let user_id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id, role }
}

/// A member whose small-enterprise application completes at once; `birth_date` tells people
/// apart (the same person again would go to review). Returns the contract number.
async fn member_with_contract(app: &App, email: &str, birth_date: &str) -> (Actor, String) {
    let member = account(app, Role::Member, email).await;
    let form = EnrollmentForm {
        birth_date: Some(birth_date.into()),
        ..sample_form("small_enterprise")
    };
    let r = app
        .submit_enrollment(&member, member.user_id, &form)
        .await
        .unwrap();
    (member, r.contract.unwrap().number)
}

/// A co-manager's application: staff must decide. Returns its id.
async fn application_in_review(app: &App, member: &Actor) -> ApplicationId {
    let form = EnrollmentForm {
        role: Some("co_manager".into()),
        ..sample_form("small_enterprise")
    };
    let r = app
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap();
    assert_eq!(r.status, kyosai_domain::ApplicationStatus::InReview);
    r.application_id
}

/// Bills `month` and answers every debit as failed with `code`.
async fn bill_failing(app: &App, m: &str, code: ResultCode) {
    bill(app, m, Some(code)).await;
}

/// Bills `month` and answers every debit: collected, or failed with the code given.
async fn bill(app: &App, m: &str, failed: Option<ResultCode>) {
    let out = out_dir(m);
    let opts = RunOptions {
        owner: "test".into(),
        ..RunOptions::default()
    };
    let runs = app
        .billing_run(month(m), None, &out, &opts, &no_progress)
        .await
        .unwrap();
    for f in runs.iter().flat_map(|r| r.files.iter()) {
        let bytes = std::fs::read(&f.path).unwrap();
        let result = match failed {
            Some(code) => simulate_bank(&bytes, 1.0, &[(code, 1.0)], 1),
            None => simulate_bank(&bytes, 0.0, &[(ResultCode::InsufficientFunds, 1.0)], 1),
        }
        .unwrap();
        app.import_result_file(&format!("{}.result", f.name), &result, "test")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn sign_up_asks_to_confirm_the_address() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        app.sign_up("new@example.jp", "correct horse 123")
            .await
            .unwrap();
        // The link carries a random token: the snapshot shows where it goes, not its value.
        let mails = outbox(&app)
            .await
            .into_iter()
            .map(|mut m| {
                let (head, tail) = m.body.split_once("token=").unwrap();
                let rest = tail.split_once('\n').map_or("", |(_, r)| r);
                m.body = format!("{head}token=[token]\n{rest}");
                m
            })
            .collect();
        all.push(mails);
    }
    assert_mails(&all, &["email_verification"]);
}

#[tokio::test]
async fn enrollment_completed_and_in_review() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let other = account(&app, Role::Member, "co@example.jp").await;
        application_in_review(&app, &other).await;
        all.push(outbox(&app).await);
    }
    assert_mails(&all, &["enrollment_completed", "enrollment_in_review"]);
}

#[tokio::test]
async fn review_approval_and_rejection() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let staff = account(&app, Role::Staff, "staff@kyosai.jp").await;
        let a = account(&app, Role::Member, "a@example.jp").await;
        let b = account(&app, Role::Member, "b@example.jp").await;
        let approved = application_in_review(&app, &a).await;
        let rejected = {
            let form = EnrollmentForm {
                role: Some("co_manager".into()),
                family_name_kana: Some("ベツジン".into()),
                ..sample_form("small_enterprise")
            };
            app.submit_enrollment(&b, b.user_id, &form)
                .await
                .unwrap()
                .application_id
        };
        let before = outbox(&app).await.len();
        let v = app.application(&staff, approved).await.unwrap().version;
        app.approve(&staff, approved, v, "書類を確認しました")
            .await
            .unwrap();
        let v = app.application(&staff, rejected).await.unwrap().version;
        app.reject(
            &staff,
            rejected,
            v,
            "共同経営者であることを確認できませんでした",
        )
        .await
        .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["review_approved", "review_rejected"]);
}

#[tokio::test]
async fn debit_account_changed() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let before = outbox(&app).await.len();
        let form = MandateForm {
            bank_code: Some("0009".into()),
            branch_code: Some("001".into()),
            account_type: Some("current".into()),
            account_number: Some("7654321".into()),
            account_holder_kana: Some("やまだ　たろう".into()),
        };
        assert!(
            app.change_mandate(&member, &number, &form)
                .await
                .unwrap()
                .changed
        );
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["debit_account_changed"]);
}

#[tokio::test]
async fn registered_details_changed_and_a_name_change_in_review() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let app = app.with_evidence(kyosai_app::evidence::EvidenceConfig {
            dir: Some(out_dir("evidence")),
            ..Default::default()
        });
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let before = outbox(&app).await.len();
        let form = DetailsForm {
            postcode: Some("1500002".into()),
            city: Some("渋谷区".into()),
            address_line: Some("渋谷2-1".into()),
            phone: Some("090-1234-5678".into()),
            ..DetailsForm::default()
        };
        app.change_details(&member, &number, &form).await.unwrap();
        let e = app
            .upload_evidence(&member, &number, "koseki.pdf", b"%PDF-1.7\n")
            .await
            .unwrap();
        let name = DetailsForm {
            holder_name: Some("鈴木 太郎".into()),
            evidence: Some(e.token),
            ..DetailsForm::default()
        };
        app.change_details(&member, &number, &name).await.unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(
        &all,
        &["registered_details_changed", "registered_name_changed"],
    );
}

#[tokio::test]
async fn premium_change_completed_and_received() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let before = outbox(&app).await.len();
        let form = |yen: &str, reason: Option<&str>| PremiumChangeForm {
            monthly_premium_yen: Some(yen.into()),
            decrease_reason: reason.map(str::to_string),
        };
        app.change_premium(&member, &number, &form("40000", None))
            .await
            .unwrap();
        let sn = app
            .submit_enrollment(
                &member,
                member.user_id,
                &EnrollmentForm {
                    birth_date: Some("1971-04-01".into()),
                    ..sample_form("safety_net")
                },
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let before_sn = outbox(&app).await.len();
        app.change_premium(&member, &sn, &form("20000", Some("hardship")))
            .await
            .unwrap();
        let mut mails = mails_since(&app, before).await;
        mails.truncate(1);
        mails.extend(mails_since(&app, before_sn).await);
        all.push(mails);
    }
    assert_mails(
        &all,
        &["premium_change_completed", "premium_change_received"],
    );
}

#[tokio::test]
async fn failed_debits() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        member_with_contract(&app, "funds@example.jp", "1971-04-01").await;
        let before = outbox(&app).await.len();
        // Insufficient funds: the month is billed again with the next one.
        bill_failing(&app, "2026-11", ResultCode::InsufficientFunds).await;
        let mut mails = mails_since(&app, before).await;
        // Stopped by the depositor: the account is unusable, a new one must be registered.
        member_with_contract(&app, "stopped@example.jp", "1972-05-02").await;
        let before = outbox(&app).await.len();
        bill_failing(&app, "2026-12", ResultCode::StoppedByDepositor).await;
        mails.extend(
            mails_since(&app, before)
                .await
                .into_iter()
                .filter(|m| m.to == "stopped@example.jp"),
        );
        all.push(mails);
    }
    assert_mails(&all, &["arrears_notice", "debit_failed_new_account"]);
}

#[tokio::test]
async fn termination_notice() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let maker = account(&app, Role::Staff, "maker@kyosai.jp").await;
        let checker = account(&app, Role::Staff, "checker@kyosai.jp").await;
        member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        // Twelve months unpaid: November 2026 to October 2027.
        let mut m = month("2026-11");
        while m <= month("2027-10") {
            bill_failing(&app, &m.to_string(), ResultCode::InsufficientFunds).await;
            m = m.plus(1);
        }
        // November's run (early October) sends the 納付書 with the 契約解除予告 (REFERENCE
        // §2.7); its deadline passes before the candidate list is made.
        let before = outbox(&app).await.len();
        bill_failing(
            &on(&app, "2027-10-06T01:00:00Z"),
            "2027-11",
            ResultCode::InsufficientFunds,
        )
        .await;
        let mut mails: Vec<Mail> = mails_since(&app, before)
            .await
            .into_iter()
            .filter(|m| m.subject.contains("納付書"))
            .collect();
        let later = on(&app, "2027-11-10T01:00:00Z");
        let list = later
            .prepare_termination_candidates(&maker, None)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        let before = outbox(&app).await.len();
        later
            .confirm_termination(&checker, list[0].id)
            .await
            .unwrap();
        mails.extend(mails_since(&app, before).await);
        all.push(mails);
    }
    assert_mails(&all, &["payment_slip_notice", "termination_notice"]);
}

#[tokio::test]
async fn voluntary_and_deemed_cancellations() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let staff = account(&app, Role::Staff, "staff@kyosai.jp").await;
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let (_, other) = member_with_contract(&app, "d@example.jp", "1972-05-02").await;
        let before = outbox(&app).await.len();
        let q = app.cancellation_quote(&member, &number).await.unwrap();
        app.cancel_contract(
            &member,
            &number,
            &kyosai_app::cancellation::CancellationForm {
                refund_yen: Some(q.refund_yen.to_string()),
            },
            None,
        )
        .await
        .unwrap();
        app.record_deemed_cancellation(
            &staff,
            &other,
            &kyosai_app::cancellation::DeemedForm {
                reason: Some("quasi_benefit_case".into()),
                note: Some("届出書を確認".into()),
            },
        )
        .await
        .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["cancellation_completed", "deemed_cancellation"]);
}

#[tokio::test]
async fn payment_procedures() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let before = outbox(&app).await.len();
        app.change_frequency(
            &member,
            &number,
            &kyosai_app::payment_frequency::FrequencyForm {
                frequency: Some("annual".into()),
                designated_month: Some("4".into()),
            },
            None,
        )
        .await
        .unwrap();
        // 倒産防止 with 40 months paid: 前納 (received, then recorded on approval), 掛止め, 再開.
        let sn = app
            .submit_enrollment(
                &member,
                member.user_id,
                &EnrollmentForm {
                    birth_date: Some("1971-04-01".into()),
                    ..sample_form("safety_net")
                },
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let staff = account(&app, Role::Staff, "s@example.jp").await;
        let kyosai_app::procedure::Answer::New(p) = app
            .apply_prepayment(
                &member,
                &sn,
                &kyosai_app::prepayment_application::PrepaymentForm {
                    months: Some("3".into()),
                },
                None,
            )
            .await
            .unwrap()
        else {
            panic!("replayed")
        };
        let a = app.application(&staff, p.application_id).await.unwrap();
        app.approve(&staff, a.id, a.version, "振込を確認")
            .await
            .unwrap();
        {
            let mut tx = app.store_for_tests().begin_write().await.unwrap();
            let c = kyosai_store::contracts::by_number(tx.conn(), &sn)
                .await
                .unwrap()
                .unwrap();
            kyosai_store::ledger::append_openings(
                tx.conn(),
                &[kyosai_store::ledger::Opening {
                    contract_id: c.id,
                    month: "2026-10".into(),
                    amount: 2_000_000,
                    months: 40,
                }],
                "2026-11-01T00:00:00Z",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        app.suspend_premiums(&member, &sn, None).await.unwrap();
        let later = on(&app, "2026-11-20T01:00:00Z");
        later
            .resume_premiums(
                &member,
                &sn,
                &kyosai_app::suspension::ResumptionForm::default(),
                None,
            )
            .await
            .unwrap();
        let mut mails = mails_since(&app, before).await;
        // The 倒産防止 enrollment's own mail is snapshotted elsewhere.
        mails.retain(|m| !m.subject.contains("加入"));
        all.push(mails);
    }
    assert_mails(
        &all,
        &[
            "frequency_changed",
            "prepayment_received",
            "prepayment_recorded",
            "premiums_suspended",
            "premiums_resumed",
        ],
    );
}

/// 掛金の納付期限の延長 under the Noto measure (a business in 金沢市).
#[tokio::test]
async fn premium_deferral() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let member = account(&app, Role::Member, "n@example.jp").await;
        let form = EnrollmentForm {
            birth_date: Some("1971-04-01".into()),
            ..kyosai_app::dev::demo::in_kanazawa(sample_form("small_enterprise"))
        };
        let number = app
            .submit_enrollment(&member, member.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let before = outbox(&app).await.len();
        app.defer_premiums(
            &member,
            &number,
            &kyosai_app::premium_deferral::PremiumDeferralForm {
                months: Some("3".into()),
            },
            None,
        )
        .await
        .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["premiums_deferred"]);
}

#[tokio::test]
async fn benefit_claim_decided() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "m@example.jp", "1958-04-01").await;
        {
            let mut tx = app.store_for_tests().begin_write().await.unwrap();
            let c = kyosai_store::contracts::by_number(tx.conn(), &number)
                .await
                .unwrap()
                .unwrap();
            kyosai_store::ledger::append_openings(
                tx.conn(),
                &[kyosai_store::ledger::Opening {
                    contract_id: c.id,
                    month: "2026-10".into(),
                    amount: 2_400_000,
                    months: 240,
                }],
                "2026-11-01T00:00:00Z",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let before = outbox(&app).await.len();
        // 10,000 yen for 20 years: 2,786,400 as a lump sum; without evidence the claim waits
        // for staff, who approve it.
        let done = app
            .submit_claim(
                &member,
                &number,
                &kyosai_app::claims::ClaimForm {
                    event: Some("business_closed".into()),
                    event_date: Some("2026-11-02".into()),
                    payout: kyosai_app::claims::ClaimPayoutForm {
                        form: Some("lump_sum".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let staff = account(&app, Role::Staff, "staff@kyosai.jp").await;
        app.approve(&staff, done.application_id, 1, "廃業届を確認")
            .await
            .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["benefit_claim_received", "benefit_claim_decided"]);
}

#[tokio::test]
async fn contact_center_link_to_an_online_procedure() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let (_, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let operator = account(&app, Role::Staff, "operator@kyosai.example.jp").await;
        let answers = kyosai_app::caller::CallerAnswers {
            name: "山田 太郎".into(),
            postcode: "1000001".into(),
            phone: "03-1234-5678".into(),
            account_digits: String::new(),
        };
        assert!(
            app.check_caller(&operator, &number, &answers)
                .await
                .unwrap()
                .passed
        );
        let before = outbox(&app).await.len();
        app.send_procedure_link(&operator, &number, "details_change")
            .await
            .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["contact_center_procedure_link"]);
}

#[tokio::test]
async fn bankruptcy_loan_decided() {
    let mut all = Vec::new();
    for (app, _d) in apps().await {
        let app = app.with_evidence(kyosai_app::evidence::EvidenceConfig {
            dir: Some(out_dir("evidence")),
            max_bytes: 1024 * 1024,
        });
        let joined = on(&app, "2026-11-02T01:00:00Z");
        let member = account(&joined, Role::Member, "m@example.jp").await;
        let number = joined
            .submit_enrollment(&member, member.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let mut m = month("2026-11");
        while m <= month("2027-10") {
            bill(&joined, &m.to_string(), None).await;
            m = m.plus(1);
        }
        let later = on(&app, "2027-11-24T01:00:00Z");
        let evidence = later
            .upload_evidence(&member, &number, "hasan.pdf", b"%PDF-1.7\n%%EOF\n")
            .await
            .unwrap();
        let asked = later
            .request_bankruptcy_loan(
                &member,
                &number,
                &kyosai_app::bankruptcy_loan::BankruptcyLoanForm {
                    event: Some("legal_proceedings".into()),
                    bankruptcy_date: Some("2027-11-10".into()),
                    partner_name: Some("株式会社倒産商事".into()),
                    loss_yen: Some("3000000".into()),
                    monthly_transactions_yen: Some("10000000".into()),
                    evidence: vec![evidence.token],
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let maker = account(&later, Role::Staff, "maker@kyosai.example.jp").await;
        let checker = account(&later, Role::Staff, "checker@kyosai.example.jp").await;
        later
            .propose_bankruptcy_loan(
                &maker,
                asked.application_id,
                kyosai_domain::Yen::new(2_500_000),
                "",
            )
            .await
            .unwrap();
        let before = outbox(&app).await.len();
        let a = later
            .application(&checker, asked.application_id)
            .await
            .unwrap();
        later
            .approve(
                &checker,
                a.id,
                a.version,
                "売掛金元帳と倒産の通知を確認しました",
            )
            .await
            .unwrap();
        all.push(mails_since(&app, before).await);
    }
    assert_mails(&all, &["bankruptcy_loan_decided"]);
}
