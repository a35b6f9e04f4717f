//! Demo data for `kyosai serve --demo`: staff, an agency, members with contracts in both programs
//! and applications waiting in the staff queue. Seeded only into an empty database.
//!
//! The contracts have years of history made the way production makes it (issue #10): the
//! members enrolled in the past under the rule sets in force then, and every month since was
//! billed by the real billing run, sent through the bank simulator and imported as a result
//! file. Each step runs on a copy of the app whose clock is fixed at that moment (the same way
//! the use-case tests move time): no clock is shared or mutated, and every row carries the
//! timestamp it would have had.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use kyosai_domain::{UserId, YearMonth};
use kyosai_store::{agencies, users};

use super::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use crate::billing::RunOptions;
use crate::enrollment::EnrollmentForm;
use crate::premium_change::PremiumChangeForm;
use crate::{Actor, App, AppError, Clock, Role};

/// How many months before last month 山田 enrolled (both programs): the first debit follows
/// the enrollment by a month or two, so at least 60 months are collected up to last month.
const YAMADA_MONTHS_AGO: i32 = 64;
/// How many months before last month 佐藤 enrolled (小規模, 半年払).
const SATO_MONTHS_AGO: i32 = 40;
/// How many months before last month 山田 raised the 小規模 premium online (a second 掛金区分,
/// so quotes and certificates show two tranches).
const YAMADA_PREMIUM_CHANGE_MONTHS_AGO: i32 = 24;
/// 山田's 小規模 premium from then on.
const YAMADA_NEW_PREMIUM: &str = "50000";
/// How many months before last month 山田 borrowed a 一時貸付金 on his 経営セーフティ共済 contract
/// online: repaid at maturity by the real billing cycle, so the loans pages and the staff loan
/// book show a loan with its debit.
const YAMADA_LOAN_MONTHS_AGO: i32 = 14;
/// The 一時貸付金 山田 borrowed.
const YAMADA_LOAN_YEN: &str = "500000";
/// How many months before last month 佐藤 cancelled her 経営セーフティ共済 contract online (任意解約):
/// its refund was paid by the payout run of its payment date, so the portal shows a paid payout.
const SATO_CANCELLED_MONTHS_AGO: i32 = 3;

/// Password of every demo account (shown at start-up; demo only).
pub const DEMO_PASSWORD: &str = "kyosai-demo-2026";
/// TOTP secret of every demo account, so a tester can add it to an authenticator app.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "職員（審査）",
        email: "staff1@kyosai.example.jp",
    },
    DemoLogin {
        role: "職員（承認）",
        email: "staff2@kyosai.example.jp",
    },
    DemoLogin {
        role: "会員（両方の共済に加入）",
        email: "yamada@example.jp",
    },
    DemoLogin {
        role: "会員（小規模企業共済）",
        email: "sato@example.jp",
    },
    DemoLogin {
        role: "会員（確認中の申込あり）",
        email: "suzuki@example.jp",
    },
    DemoLogin {
        role: "会員（小規模企業共済・ご遺族の請求の練習用）",
        email: "takahashi@example.jp",
    },
];

/// A complete valid form; demo members differ in a few fields.
/// `form` with an address in 金沢市 (石川県), in the area of the 2024 Noto special measure
/// (`rules/special_measures/2024-noto.toml`): the demo's 高橋 and the tests of the measure's
/// procedures.
pub fn in_kanazawa(form: EnrollmentForm) -> EnrollmentForm {
    EnrollmentForm {
        postcode: Some("9200001".into()),
        prefecture: Some("石川県".into()),
        city: Some("金沢市".into()),
        address_line: Some("千木町1-1".into()),
        ..form
    }
}

pub fn sample_form(program: &str) -> EnrollmentForm {
    let s = |v: &str| Some(v.to_string());
    EnrollmentForm {
        program: s(program),
        role: (program == "small_enterprise").then(|| "sole_proprietor".to_string()),
        family_name: s("山田"),
        given_name: s("太郎"),
        family_name_kana: s("ヤマダ"),
        given_name_kana: s("タロウ"),
        birth_date: s("1975-04-01"),
        phone: s("03-1234-5678"),
        business_name: s("山田工務店"),
        legal_form: s("individual"),
        industry: s("construction"),
        employees: s("3"),
        capital_yen: None,
        business_started_on: s("2015-04-01"),
        corporate_number: None,
        representative_name: None,
        representative_kana: None,
        postcode: s("1000001"),
        prefecture: s("東京都"),
        city: s("千代田区"),
        address_line: s("千代田1-1"),
        monthly_premium_yen: s(if program == "small_enterprise" {
            "30000"
        } else {
            "50000"
        }),
        payment_frequency: s("monthly"),
        bank_code: s("0001"),
        branch_code: s("001"),
        account_type: s("ordinary"),
        account_number: s("1234567"),
        account_holder_kana: s("ヤマダ タロウ"),
        declare_truthful: s("on"),
        declare_not_antisocial: s("on"),
        declare_eligible: s("on"),
    }
}

/// `month`'s `day` at `hour`:00 in Japan.
fn jst_at(month: YearMonth, day: i8, hour: i8) -> Result<Timestamp, AppError> {
    crate::clock::jst()
        .to_timestamp(month.day(day).at(hour, 0, 0, 0))
        .map_err(|e| AppError::Internal(e.into()))
}

impl App {
    /// This app with its clock fixed at `t` (over the same database).
    fn at(&self, t: Timestamp) -> App {
        App {
            clock: Clock::Fixed(t),
            ..self.clone()
        }
    }

    /// Seeds demo data unless the database already has users. Returns whether it seeded.
    pub async fn seed_demo(&self) -> Result<bool, AppError> {
        {
            let mut conn = self.store.read().await?;
            if users::count(&mut conn).await? > 0 {
                return Ok(false);
            }
        }
        let last_month = YearMonth::of(self.clock.today()).plus(-1);
        let yamada_enrolled = last_month.plus(-YAMADA_MONTHS_AGO);
        let sato_enrolled = last_month.plus(-SATO_MONTHS_AGO);
        // The accounts exist from 山田's enrollment on.
        let then = self.at(jst_at(yamada_enrolled, 5, 10)?);
        let now = then.clock.now_text();
        {
            let mut tx = self.store.begin_write().await?;
            agencies::insert(tx.conn(), "A0001", "千代田商工会議所", &now).await?;
            tx.commit().await?;
        }
        let mut ids = Vec::new();
        for (i, login) in DEMO_LOGINS.iter().enumerate() {
            let role = if i < 2 { Role::Staff } else { Role::Member };
            let name = login.role;
            let id = then
                .create_account(role, login.email, name, Some(DEMO_PASSWORD))
                .await?;
            let mut tx = self.store.begin_write().await?;
            users::set_totp_secret(tx.conn(), id, DEMO_TOTP_SECRET).await?;
            users::enable_totp(tx.conn(), id).await?;
            tx.commit().await?;
            ids.push(id);
        }
        // 職員（審査） prepares; 職員（承認） decides.
        then.set_staff_power("system", ids[0], crate::review::StaffPower::Reviewer)
            .await?;
        let member = |id: UserId| Actor {
            user_id: id,
            role: Role::Member,
        };
        let (yamada, sato, suzuki, takahashi) = (ids[2], ids[3], ids[4], ids[5]);
        // Enrolled in the past, under the rule sets in force then.
        let yamada_small = then
            .submit_enrollment(&member(yamada), yamada, &sample_form("small_enterprise"))
            .await?
            .contract
            .ok_or_else(|| AppError::Internal("the demo enrollment went to review".into()))?
            .number;
        let yamada_safety_net = then
            .submit_enrollment(&member(yamada), yamada, &sample_form("safety_net"))
            .await?
            .contract
            .ok_or_else(|| AppError::Internal("the demo enrollment went to review".into()))?
            .number;
        let mut sato_form = sample_form("small_enterprise");
        sato_form.family_name = Some("佐藤".into());
        sato_form.given_name = Some("花子".into());
        sato_form.family_name_kana = Some("サトウ".into());
        sato_form.given_name_kana = Some("ハナコ".into());
        sato_form.account_holder_kana = Some("サトウ ハナコ".into());
        sato_form.business_name = Some("佐藤商店".into());
        sato_form.industry = Some("retail".into());
        sato_form.monthly_premium_yen = Some("10000".into());
        sato_form.payment_frequency = Some("semi_annual".into());
        // 佐藤's form came on paper and was keyed in by staff.
        let staff = Actor {
            user_id: ids[0],
            role: Role::Staff,
        };
        let sato_then = self.at(jst_at(sato_enrolled, 5, 10)?);
        sato_then
            .submit_enrollment(&staff, sato, &sato_form)
            .await?;
        // 佐藤 also joined 経営セーフティ共済 online the same day (20,000 yen a month).
        let mut sato_safety = sample_form("safety_net");
        for (to, from) in [
            (&mut sato_safety.family_name, &sato_form.family_name),
            (&mut sato_safety.given_name, &sato_form.given_name),
            (
                &mut sato_safety.family_name_kana,
                &sato_form.family_name_kana,
            ),
            (&mut sato_safety.given_name_kana, &sato_form.given_name_kana),
            (
                &mut sato_safety.account_holder_kana,
                &sato_form.account_holder_kana,
            ),
            (&mut sato_safety.business_name, &sato_form.business_name),
        ] {
            to.clone_from(from);
        }
        sato_safety.monthly_premium_yen = Some("20000".into());
        let sato_safety_net = sato_then
            .submit_enrollment(&member(sato), sato, &sato_safety)
            .await?
            .contract
            .ok_or_else(|| AppError::Internal("the demo enrollment went to review".into()))?
            .number;
        // 高橋 joined 小規模企業共済 online the same day; the browser walk of a death claim by the
        // bereaved files on this contract, so the other walks keep theirs. His business is in
        // 金沢市, in the area of the 2024 Noto special measure, so his member-loan page offers
        // the measure's 特例災害時貸付け.
        let mut takahashi_form = in_kanazawa(sample_form("small_enterprise"));
        takahashi_form.family_name = Some("高橋".into());
        takahashi_form.given_name = Some("二郎".into());
        takahashi_form.family_name_kana = Some("タカハシ".into());
        takahashi_form.given_name_kana = Some("ジロウ".into());
        takahashi_form.birth_date = Some("1962-06-06".into());
        takahashi_form.account_holder_kana = Some("タカハシ ジロウ".into());
        takahashi_form.business_name = Some("高橋電気".into());
        takahashi_form.monthly_premium_yen = Some("20000".into());
        takahashi_form.account_number = Some("2345678".into());
        sato_then
            .submit_enrollment(&member(takahashi), takahashi, &takahashi_form)
            .await?
            .contract
            .ok_or_else(|| AppError::Internal("the demo enrollment went to review".into()))?;
        // Billed month by month; 山田 raised the 小規模 premium online on the 2nd of one month,
        // through the real procedure, and later months are billed at the new amount.
        let change_month = last_month.plus(-YAMADA_PREMIUM_CHANGE_MONTHS_AGO);
        self.bill_history(yamada_enrolled, change_month.plus(-1))
            .await?;
        self.at(jst_at(change_month, 2, 10)?)
            .change_premium(
                &member(yamada),
                &yamada_small,
                &PremiumChangeForm {
                    monthly_premium_yen: Some(YAMADA_NEW_PREMIUM.into()),
                    decrease_reason: None,
                },
            )
            .await?;
        let loan_month = last_month.plus(-YAMADA_LOAN_MONTHS_AGO);
        self.bill_history(change_month, loan_month.plus(-1)).await?;
        let borrowed = self.at(jst_at(loan_month, 2, 10)?);
        let loan = borrowed
            .request_temporary_loan(
                &member(yamada),
                &yamada_safety_net,
                &crate::loans::TemporaryLoanForm {
                    amount_yen: Some(YAMADA_LOAN_YEN.into()),
                },
                None,
            )
            .await?
            .fresh()?;
        let transfer = loan
            .disbursement_date
            .ok_or_else(|| AppError::Internal("the demo loan went to review".into()))?;
        self.pay_out_on(transfer).await?;
        let cancel_month = last_month.plus(-SATO_CANCELLED_MONTHS_AGO);
        self.bill_history(loan_month, cancel_month.plus(-1)).await?;
        self.demo_cancellation(&member(sato), &sato_safety_net, cancel_month)
            .await?;
        self.bill_history(cancel_month, last_month).await?;
        let mut suzuki_form = sample_form("small_enterprise");
        suzuki_form.role = Some("co_manager".into());
        suzuki_form.family_name = Some("鈴木".into());
        suzuki_form.given_name = Some("一郎".into());
        suzuki_form.family_name_kana = Some("スズキ".into());
        suzuki_form.given_name_kana = Some("イチロウ".into());
        suzuki_form.account_holder_kana = Some("スズキ イチロウ".into());
        self.submit_enrollment(&member(suzuki), suzuki, &suzuki_form)
            .await?;
        Ok(true)
    }

    /// A 任意解約 on the 2nd of `month` at the quoted refund, through the real procedure, and the
    /// refund paid by the payout run on its payment date.
    async fn demo_cancellation(
        &self,
        member: &Actor,
        number: &str,
        month: YearMonth,
    ) -> Result<(), AppError> {
        let then = self.at(jst_at(month, 2, 10)?);
        let quote = then.cancellation_quote(member, number).await?;
        then.cancel_contract(
            member,
            number,
            &crate::cancellation::CancellationForm {
                refund_yen: Some(quote.refund_yen.to_string()),
            },
            None,
        )
        .await?;
        self.pay_out_on(quote.payment_date).await
    }

    /// The payout run of `date` at 09:00 in Japan (files written to a temporary folder, as
    /// billing's are).
    async fn pay_out_on(&self, date: jiff::civil::Date) -> Result<(), AppError> {
        let payday = self.at(crate::clock::jst()
            .to_timestamp(date.at(9, 0, 0, 0))
            .map_err(|e| AppError::Internal(e.into()))?);
        let dir = std::env::temp_dir().join(format!(
            "kyosai-demo-payouts-{}-{}",
            std::process::id(),
            Timestamp::now().as_nanosecond()
        ));
        let done = payday
            .payout_run(
                date,
                &dir,
                "demo",
                &crate::payouts::PayoutRunOptions::default(),
            )
            .await;
        let _ = std::fs::remove_dir_all(&dir);
        done.map(|_| ())
    }

    /// Bills every month from `from` to `to` as production does: the billing run on the 10th
    /// (before both programs' delivery days), the bank simulator on the request files (all
    /// collected), and the result files imported early the next month, before that month's run.
    async fn bill_history(&self, from: YearMonth, to: YearMonth) -> Result<(), AppError> {
        let dir = std::env::temp_dir().join(format!(
            "kyosai-demo-{}-{}",
            std::process::id(),
            Timestamp::now().as_nanosecond()
        ));
        let done = self.bill_months(&dir, from, to).await;
        // The request and result files were only the way to the ledger.
        let _ = std::fs::remove_dir_all(&dir);
        done
    }

    async fn bill_months(
        &self,
        dir: &Path,
        from: YearMonth,
        to: YearMonth,
    ) -> Result<(), AppError> {
        let mut month = from;
        while month <= to {
            let out: PathBuf = dir.join(month.to_string());
            std::fs::create_dir_all(&out).map_err(|e| AppError::Internal(e.into()))?;
            let summaries = self
                .at(jst_at(month, 10, 9)?)
                .billing_run(month, None, &out, &RunOptions::default(), &|_| {})
                .await?;
            let importer = self.at(jst_at(month.plus(1), 3, 9)?);
            for file in summaries.iter().flat_map(|s| &s.files) {
                if file.records == 0 {
                    continue;
                }
                let request =
                    std::fs::read(&file.path).map_err(|e| AppError::Internal(e.into()))?;
                let result = simulate_bank(&request, 0.0, &SIMULATED_FAILURE_MIX, 1)
                    .map_err(|r| AppError::Internal(format!("{r:?}").into()))?;
                importer
                    .import_result_file(&format!("{}.result", file.name), &result, "demo")
                    .await
                    .map_err(|e| AppError::Internal(e.to_string().into()))?;
            }
            month = month.plus(1);
        }
        Ok(())
    }
}
