//! The online-usage scorecard (issue #14): every row checked against counts made independently
//! from the application records (months in Japan read from each timestamp, the direction of a
//! premium change from its stored checks), plus lead times, the automatic share, the online
//! completion rate, the range checks and who may read it. Every backend.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::collections::BTreeMap;

use kyosai_app::contact_center::InquiryForm;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::premium_change::PremiumChangeForm;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::{Procedure, Program};

mod support;

use support::{apps, count, on};

async fn member_with(app: &App, email: &str, program: &str) -> (Actor, String) {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let r = app
        .submit_enrollment(
            &member,
            id,
            &kyosai_app::enrollment::EnrollmentForm {
                birth_date: Some(format!(
                    "19{:02}-04-01",
                    50 + email.bytes().map(u32::from).sum::<u32>() % 40
                )),
                ..sample_form(program)
            },
        )
        .await
        .unwrap();
    (member, r.contract.unwrap().number)
}

fn form(yen: &str, reason: Option<&str>) -> PremiumChangeForm {
    PremiumChangeForm {
        monthly_premium_yen: Some(yen.into()),
        decrease_reason: reason.map(str::to_string),
    }
}

type Key = (String, String, String, Option<String>);

/// (program, group, procedure, month or None) → (online, total), counted straight from the
/// application rows, the way a clerk would with a spreadsheet.
async fn independent(app: &App) -> BTreeMap<Key, (i64, i64)> {
    let mut c = app.store_for_tests().read().await.unwrap();
    let rows =
        sqlx::query("SELECT program, procedure, channel, received_at, checks FROM applications")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    let mut out: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let get = |name: &str| -> String { kyosai_store::Row::try_get(&r, name).unwrap() };
        let (program, procedure, channel) = (get("program"), get("procedure"), get("channel"));
        let received: jiff::Timestamp = get("received_at").parse().unwrap();
        let month = received
            .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
            .strftime("%Y-%m")
            .to_string();
        let checks: serde_json::Value = serde_json::from_str(&get("checks")).unwrap();
        let group = if procedure == "enrollment" || procedure == "mandate_change" {
            "enrollment"
        } else {
            "maintenance"
        };
        let mut lines = vec![procedure.clone(), "all".to_string()];
        if procedure == "premium_change" {
            let decrease = checks
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "decrease_reason");
            lines.push(
                if decrease {
                    "premium_decrease"
                } else {
                    "premium_increase"
                }
                .into(),
            );
        }
        for line in lines {
            for m in [Some(month.clone()), None] {
                let e = out
                    .entry((program.clone(), group.into(), line.clone(), m))
                    .or_default();
                e.1 += 1;
                if channel == "online" {
                    e.0 += 1;
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn the_scorecard_matches_counts_made_from_the_applications() {
    for (app, _d) in apps().await {
        let staff = Actor {
            user_id: app
                .create_account(Role::Staff, "s@kyosai.jp", "", Some("test passphrase 123"))
                .await
                .unwrap(),
            role: Role::Staff,
        };
        // October in Japan; then 00:30 on 1 November in Japan (still 31 October in UTC).
        let october = on(&app, "2026-10-15T01:00:00Z");
        let (a, a_number) = member_with(&october, "a@example.jp", "small_enterprise").await;
        let boundary = on(&app, "2026-10-31T15:30:00Z");
        let (b, b_number) = member_with(&boundary, "b@example.jp", "safety_net").await;
        let (_c, c_number) = member_with(&app, "c@example.jp", "small_enterprise").await;
        // A started the enrollment online before sending it; D stopped after step 2.
        on(&app, "2026-10-15T00:30:00Z")
            .record_journey_step(
                a.user_id,
                Program::SmallEnterprise,
                Procedure::Enrollment,
                3,
            )
            .await
            .unwrap();
        let d = app
            .create_account(
                Role::Member,
                "d@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        for step in [1, 2] {
            app.record_journey_step(d, Program::SmallEnterprise, Procedure::Enrollment, step)
                .await
                .unwrap();
        }
        // November: A raises online (decided at once), staff lower C's on paper, B asks to lower
        // (倒産防止, hardship: a person decides three days later).
        let raised = app
            .change_premium(&a, &a_number, &form("40000", None))
            .await
            .unwrap();
        let lowered = app
            .change_premium(&staff, &c_number, &form("20000", None))
            .await
            .unwrap();
        let pending = app
            .change_premium(&b, &b_number, &form("20000", Some("hardship")))
            .await
            .unwrap();
        // No survey before the procedure is done.
        assert!(matches!(
            app.survey_code(&b, pending.application_id.unwrap()).await,
            Err(AppError::Conflict {
                code: "not_completed",
                ..
            })
        ));
        let later = on(&app, "2026-11-05T01:00:00Z");
        let p = later
            .application(&staff, pending.application_id.unwrap())
            .await
            .unwrap();
        later
            .approve(&staff, p.id, p.version, "事業の状況を電話で確認しました")
            .await
            .unwrap();

        // Surveys: A answers online; C answers the short URL printed on the paper letter.
        let online_code = app
            .survey_code(&a, raised.application_id.unwrap())
            .await
            .unwrap();
        assert_eq!(
            app.survey_code(&a, raised.application_id.unwrap())
                .await
                .unwrap(),
            online_code
        );
        assert!(matches!(
            app.survey_code(&b, raised.application_id.unwrap()).await,
            Err(AppError::NotFound)
        ));
        match app.answer_survey(&online_code, "6", "").await {
            Err(AppError::Invalid(e)) => assert_eq!(e[0].field, "satisfaction"),
            other => panic!("{other:?}"),
        }
        app.answer_survey(&online_code.to_lowercase(), "5", "わかりやすかった")
            .await
            .unwrap();
        assert!(matches!(
            app.answer_survey(&online_code, "1", "").await,
            Err(AppError::Conflict {
                code: "survey_answered",
                ..
            })
        ));
        let paper_code = app
            .survey_code(&staff, lowered.application_id.unwrap())
            .await
            .unwrap();
        assert_ne!(paper_code, online_code);
        app.answer_survey(&paper_code, "2", "").await.unwrap();

        // The contact center logs two calls, one about A's contract; a bad form stores nothing.
        match app
            .log_inquiry(
                &staff,
                &InquiryForm {
                    contract_number: "000000000".into(),
                    category: "nonsense".into(),
                    ..InquiryForm::default()
                },
            )
            .await
        {
            Err(AppError::Invalid(e)) => {
                let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, ["category", "outcome", "contract_number"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            app.log_inquiry(&a, &InquiryForm::default()).await,
            Err(AppError::Forbidden(_))
        ));
        app.log_inquiry(
            &staff,
            &InquiryForm {
                contract_number: a_number.clone(),
                category: "online_how_to".into(),
                outcome: "guided_online".into(),
                note: "ログイン方法を案内".into(),
            },
        )
        .await
        .unwrap();
        app.log_inquiry(
            &staff,
            &InquiryForm {
                category: "billing".into(),
                outcome: "answered".into(),
                ..InquiryForm::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM inquiries").await, 2);

        let card = app.scorecard(&staff, "2026-09", "2026-11").await.unwrap();
        // Two calls, three members with a contract: 666.67 per 1,000.
        assert_eq!(
            (
                card.inquiries.count,
                card.inquiries.members,
                card.inquiries.per_thousand_members
            ),
            (2, 3, Some(666.67))
        );
        let survey = |online: bool| card.surveys.iter().find(|s| s.online == online).unwrap();
        assert_eq!(
            (survey(true).answered, survey(true).average),
            (1, Some(5.0))
        );
        assert_eq!(survey(false).by_score, [0, 1, 0, 0, 0]);
        let expected = independent(&app).await;
        // 2 programs × (3 enrollment rows + 3 premium rows + the other procedures + total) × 4.
        let per_program = 3 + 3 + (Procedure::ALL.len() - 3) + 1;
        assert_eq!(card.rows.len(), 2 * per_program * 4);
        for row in &card.rows {
            let key = (
                row.program.as_str().to_string(),
                row.group.as_str().to_string(),
                row.procedure.clone(),
                row.month.map(|m| m.to_string()),
            );
            let (online, total) = expected.get(&key).copied().unwrap_or((0, 0));
            assert_eq!((row.online, row.total), (online, total), "{key:?}");
            match total {
                0 => assert_eq!(row.rate, None),
                _ => assert_eq!(row.rate, Some(online as f64 / total as f64)),
            }
        }
        let find = |program: &str, procedure: &str, month: Option<&str>| {
            card.rows
                .iter()
                .find(|r| {
                    r.program.as_str() == program
                        && r.procedure == procedure
                        && r.month.map(|m| m.to_string()).as_deref() == month
                })
                .unwrap()
        };
        // The boundary enrollment is November's in Japan.
        assert_eq!(find("safety_net", "enrollment", Some("2026-10")).total, 0);
        assert_eq!(find("safety_net", "enrollment", Some("2026-11")).total, 1);
        assert_eq!(
            find("small_enterprise", "enrollment", Some("2026-10")).total,
            1
        );
        // Staff filing counts as paper: 1 of 2 small-enterprise premium changes online.
        let se_changes = find("small_enterprise", "premium_change", None);
        assert_eq!((se_changes.online, se_changes.total), (1, 2));
        assert_eq!(se_changes.rate, Some(0.5));
        let se_decrease = find("small_enterprise", "premium_decrease", None);
        assert_eq!((se_decrease.online, se_decrease.total), (0, 1));
        assert_eq!(find("safety_net", "premium_decrease", None).online, 1);
        assert_eq!(
            find("small_enterprise", "enrollment", Some("2026-09")).rate,
            None
        );
        // The 2025 goal is the one in force in 2026.
        assert_eq!(se_changes.target_rate, Some(1.0));
        assert_eq!(
            se_changes.target_deadline.unwrap().to_string(),
            "2025-12-31"
        );

        // Six completed: five decided by the rules at once, B's decrease after three days.
        let completed: i64 = card.automatic.iter().map(|a| a.completed).sum();
        let automatic: i64 = card.automatic.iter().map(|a| a.automatic).sum();
        assert_eq!((completed, automatic), (6, 5));
        let online = card
            .lead_times
            .iter()
            .find(|l| l.channel.as_str() == "online")
            .unwrap();
        assert_eq!(online.completed, 5);
        assert_eq!(online.p50_seconds, Some(0));
        assert_eq!(online.p90_seconds, Some(3 * 86_400));
        let paper = card
            .lead_times
            .iter()
            .find(|l| l.channel.as_str() == "paper")
            .unwrap();
        assert_eq!((paper.completed, paper.p50_seconds), (1, Some(0)));

        // Two enrollments started online and one sent: D stopped after step 2.
        let journeys = &card.online_completion;
        assert_eq!(journeys.len(), 1);
        assert_eq!((journeys[0].started, journeys[0].completed), (2, 1));
        assert_eq!(journeys[0].given_up.len(), 1);
        assert_eq!(
            (journeys[0].given_up[0].step, journeys[0].given_up[0].count),
            (2, 1)
        );

        // Members may not read it; a bad range stores nothing and names the field.
        assert!(matches!(
            app.scorecard(&a, "2026-09", "2026-11").await,
            Err(AppError::Forbidden(_))
        ));
        for (from, to, field) in [
            ("2026-13", "2026-11", "from"),
            ("2026-09", "", "to"),
            ("2026-11", "2026-09", "to"),
            ("2016-01", "2026-01", "to"),
        ] {
            match app.scorecard(&staff, from, to).await {
                Err(AppError::Invalid(errors)) => {
                    assert_eq!(errors[0].field, field, "{from}..{to}")
                }
                other => panic!("{from}..{to}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn staff_minutes_count_the_review_screen_per_procedure_and_channel() {
    for (app, _d) in apps().await {
        let staff = Actor {
            user_id: app
                .create_account(Role::Staff, "s@kyosai.jp", "", Some("test passphrase 123"))
                .await
                .unwrap(),
            role: Role::Staff,
        };
        let november = on(&app, "2026-11-02T01:00:00Z");
        let mut in_review = Vec::new();
        for email in ["a@example.jp", "b@example.jp"] {
            let (member, number) = member_with(&november, email, "safety_net").await;
            let asked = november
                .change_premium(&member, &number, &form("20000", Some("hardship")))
                .await
                .unwrap();
            in_review.push(asked.application_id.unwrap());
        }
        // One decided 90 seconds after the screen opened; one left open for three hours
        // (counted as the cap); a value the screen did not make is not counted.
        let opened = "2026-11-05T01:00:00Z";
        for (id, decided_at) in in_review
            .iter()
            .zip(["2026-11-05T01:01:30Z", "2026-11-05T04:00:00Z"])
        {
            let at = on(&app, decided_at);
            let p = at.application(&staff, *id).await.unwrap();
            at.approve(&staff, p.id, p.version, "事業の状況を電話で確認しました")
                .await
                .unwrap();
            at.record_review_time(&staff, *id, opened).await.unwrap();
        }
        on(&app, "2026-11-05T05:00:00Z")
            .record_review_time(&staff, in_review[0], "yesterday")
            .await
            .unwrap();
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM data_entry_time WHERE screen = 'review'"
            )
            .await,
            2
        );
        let member = Actor {
            user_id: app
                .create_account(
                    Role::Member,
                    "m@example.jp",
                    "",
                    Some("test passphrase 123"),
                )
                .await
                .unwrap(),
            role: Role::Member,
        };
        assert!(matches!(
            app.record_review_time(&member, in_review[0], opened).await,
            Err(AppError::Forbidden(_))
        ));

        let card = app.scorecard(&staff, "2026-11", "2026-11").await.unwrap();
        let time = |procedure| {
            card.staff_time
                .iter()
                .find(|t| t.procedure == procedure && t.channel == kyosai_domain::Channel::Online)
                .unwrap()
                .clone()
        };
        let premium = time(Procedure::PremiumChange);
        assert_eq!(premium.applications, 2);
        assert_eq!(
            premium.staff_seconds,
            90 + kyosai_app::staff_time::MAX_SCREEN_SECONDS
        );
        // (90 + 3600) s / 60 / 2 = 30.75 minutes, shown to one decimal.
        assert_eq!(premium.minutes_per_application, Some(30.8));
        // The enrollments were decided by the rules: counted, with no staff time.
        let enrollment = time(Procedure::Enrollment);
        assert_eq!(
            (
                enrollment.applications,
                enrollment.staff_seconds,
                enrollment.minutes_per_application
            ),
            (2, 0, Some(0.0))
        );
    }
}
