//! Demo data for `kyosai serve --demo`: staff, an agency, members with contracts in both programs
//! and applications waiting in the staff queue. Seeded only into an empty database.

use kyosai_store::{agencies, users};

use crate::enrollment::EnrollmentForm;
use crate::{Actor, App, AppError, Role};

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
];

/// A complete valid form; demo members differ in a few fields.
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

impl App {
    /// Seeds demo data unless the database already has users. Returns whether it seeded.
    pub async fn seed_demo(&self) -> Result<bool, AppError> {
        {
            let mut conn = self.store.read().await?;
            if users::count(&mut conn).await? > 0 {
                return Ok(false);
            }
        }
        let now = self.clock.now_text();
        {
            let mut tx = self.store.begin_write().await?;
            agencies::insert(tx.conn(), "A0001", "千代田商工会議所", &now).await?;
            tx.commit().await?;
        }
        let mut ids = Vec::new();
        for (i, login) in DEMO_LOGINS.iter().enumerate() {
            let role = if i < 2 { Role::Staff } else { Role::Member };
            let name = login.role;
            let id = self
                .create_account(role, login.email, name, Some(DEMO_PASSWORD))
                .await?;
            let mut tx = self.store.begin_write().await?;
            users::set_totp_secret(tx.conn(), id, DEMO_TOTP_SECRET).await?;
            users::enable_totp(tx.conn(), id).await?;
            tx.commit().await?;
            ids.push(id);
        }
        // 職員（審査） prepares; 職員（承認） decides.
        self.set_staff_power("system", ids[0], crate::review::StaffPower::Reviewer)
            .await?;
        let member = |id: i64| Actor {
            user_id: id,
            role: Role::Member,
        };
        let (yamada, sato, suzuki) = (ids[2], ids[3], ids[4]);
        self.submit_enrollment(&member(yamada), yamada, &sample_form("small_enterprise"))
            .await?;
        self.submit_enrollment(&member(yamada), yamada, &sample_form("safety_net"))
            .await?;
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
        self.submit_enrollment(&staff, sato, &sato_form).await?;
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
}
