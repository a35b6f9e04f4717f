//! Black-box tests of the billing pages (member and staff) over HTTP, on every backend available
//! (SQLite always, PostgreSQL when KYOSAI_TEST_POSTGRES_URL is set): a real billing run and bank
//! result files posted through the use cases, then what each user sees and may download.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::path::PathBuf;

use jiff::Timestamp;
use kyosai_app::billing::{Progress, RunOptions};
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_domain::YearMonth;
use kyosai_zengin::debit::{Expectation, LineEnding, ResultCode, WriteOptions, parse_file};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

mod support;

use support::Site;

/// 2 November 2026, 10:00 in Japan: before November's debit dates.
fn now() -> Timestamp {
    "2026-11-02T01:00:00Z".parse().unwrap()
}

async fn spawn(store: kyosai_store::Store) -> Site {
    support::spawn(store, Clock::Fixed(now())).await
}

/// What only these tests need of the site.
trait BillingSite {
    async fn enroll(&self, member: &Actor, program: &str, kana: &str) -> String;
    async fn line_id(&self, number: &str, month: &str) -> u64;
}

impl BillingSite for Site {
    async fn enroll(&self, member: &Actor, program: &str, kana: &str) -> String {
        let mut form = sample_form(program);
        form.family_name_kana = Some(kana.into());
        form.account_holder_kana = Some(format!("{kana} タロウ"));
        let r = self
            .app
            .submit_enrollment(member, member.user_id, &form)
            .await
            .unwrap();
        r.contract.expect("completed at once").number
    }

    /// The bill line id (= Zengin customer number) of a contract's month.
    async fn line_id(&self, number: &str, month: &str) -> u64 {
        let mut conn = self.store.read().await.unwrap();
        let row = sqlx::query(
            "SELECT b.id FROM bill_lines b JOIN contracts c ON c.id = b.contract_id \
             WHERE c.number = $1 AND b.month = $2",
        )
        .bind(number)
        .bind(month)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let id: i64 = kyosai_store::Row::try_get(&row, "id").unwrap();
        id as u64
    }
}

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kyosai-billing-pages-{}-{tag}-{}",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn month(s: &str) -> YearMonth {
    s.parse().unwrap()
}

fn no_progress(_: Progress) {}

/// The bank's answer to a request file: `code_of(customer number)` per record.
fn bank_result(request: &[u8], code_of: impl Fn(u64) -> ResultCode) -> Vec<u8> {
    let file = parse_file(request, Expectation::Request).unwrap();
    kyosai_zengin::debit::make_result_file(
        &file,
        |r| code_of(r.customer_number.to_u64().unwrap()),
        &WriteOptions {
            line_ending: LineEnding::Crlf,
        },
    )
}

/// The table row of the staff run list whose header starts with `label`.
fn row<'a>(page: &'a str, label: &str) -> &'a str {
    let start = page
        .find(&format!(">{label}"))
        .unwrap_or_else(|| panic!("{label} not listed: {page}"));
    let end = page[start..].find("</tr>").unwrap() + start;
    &page[start..end]
}

fn sha256(bytes: &[u8]) -> String {
    kyosai_store::sha256_hex(bytes)
}

#[tokio::test]
async fn members_see_their_own_billing_and_staff_see_runs_files_and_reconciliation() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (a, member_a) = site.login(Role::Member, "a@example.jp").await;
        let (b, member_b) = site.login(Role::Member, "b@example.jp").await;
        let (staff, _) = site.login(Role::Staff, "staff@example.jp").await;
        let a_se = site.enroll(&member_a, "small_enterprise", "ヤマダ").await;
        let a_sn = site.enroll(&member_a, "safety_net", "ヤマダ").await;
        let b_sn = site.enroll(&member_b, "safety_net", "スズキ").await;

        // Before any run: the page shows the first debit and no bills yet.
        let (s, body) = site
            .get(&a, &format!("/portal/contracts/{a_se}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("<html lang=\"ja\">"));
        assert!(body.contains("まだ請求はありません"), "{body}");
        assert!(body.contains("2026年11月18日"), "next debit shown: {body}");

        // November is billed; the banks answer: A's 小規模 fails for lack of funds, A's 倒産防止
        // is collected, B's 倒産防止 account no longer exists.
        let out = out_dir("nov");
        let runs = site
            .app
            .billing_run(
                month("2026-11"),
                None,
                &out,
                &RunOptions::default(),
                &no_progress,
            )
            .await
            .unwrap();
        let written: Vec<_> = runs.iter().flat_map(|r| r.files.clone()).collect();
        assert_eq!(written.len(), 2);
        let b_line = site.line_id(&b_sn, "2026-11").await;
        for f in &written {
            let bytes = std::fs::read(&f.path).unwrap();
            let result = if f.name.contains("small_enterprise") {
                bank_result(&bytes, |_| ResultCode::InsufficientFunds)
            } else {
                bank_result(&bytes, |id| {
                    if id == b_line {
                        ResultCode::NoAccount
                    } else {
                        ResultCode::Collected
                    }
                })
            };
            site.app
                .import_result_file(&format!("{}.result", f.name), &result, "test")
                .await
                .unwrap();
        }

        // The portal links each contract's billing page.
        let (_, portal) = site.get(&a, "/portal").await;
        for n in [&a_se, &a_sn] {
            assert!(
                portal.contains(&format!("href=\"/portal/contracts/{n}/billing\"")),
                "{portal}"
            );
        }

        // A's 小規模: failed for lack of funds, billed again with December's premium.
        let (s, body) = site
            .get(&a, &format!("/portal/contracts/{a_se}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("2026年11月の請求"), "{body}");
        assert!(body.contains("引落不能"), "{body}");
        assert!(body.contains("残高不足"), "{body}");
        assert!(body.contains("30,000円"));
        assert!(body.contains("2026年12月18日"), "next debit date: {body}");
        assert!(
            body.contains("60,000円"),
            "November again plus December: {body}"
        );
        assert!(body.contains("2026年11月分 30,000円（未納分）"), "{body}");
        assert!(
            body.contains("2026年11月分</li>"),
            "unpaid month listed: {body}"
        );
        assert!(
            !body.contains("口座振替に使えなくなりました"),
            "the account still works"
        );

        // A's 倒産防止: collected.
        let (s, body) = site
            .get(&a, &format!("/portal/contracts/{a_sn}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("引落済"), "{body}");
        assert!(body.contains("50,000円"));
        assert!(body.contains("2026年11月27日"));
        assert!(body.contains("未納の掛金はありません"));

        // B's 倒産防止: the account is gone; B is asked to register a new one.
        let (s, body) = site
            .get(&b, &format!("/portal/contracts/{b_sn}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("引落不能"));
        assert!(body.contains("口座が見つからない"), "{body}");
        assert!(body.contains("口座振替に使えなくなりました"), "{body}");
        assert!(body.contains("新しい口座をご登録ください"));

        // Nobody sees another member's contract; unknown numbers look the same.
        for path in [
            format!("/portal/contracts/{a_se}/billing"),
            format!("/portal/contracts/{a_sn}/billing"),
            "/portal/contracts/000000000/billing".to_string(),
        ] {
            let (s, body) = site.get(&b, &path).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
            assert!(!body.contains(&a_se) && !body.contains(&a_sn), "{body}");
        }
        let anonymous = reqwest::Client::new();
        let r = anonymous
            .get(format!("{}/portal/contracts/{a_se}/billing", site.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.url().path(),
            "/login",
            "anonymous users are sent to log in"
        );
        // Staff may look at a member's billing (answering a call).
        let (s, _) = site
            .get(&staff, &format!("/portal/contracts/{a_se}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);

        // December: B has no usable account, so the run lists B as an exception.
        site.app
            .billing_run(
                month("2026-12"),
                Some(kyosai_domain::Program::SafetyNet),
                &out_dir("dec"),
                &RunOptions::default(),
                &no_progress,
            )
            .await
            .unwrap();

        // December's 小規模 run dies before writing its files: in progress, counted live.
        let mut crash = RunOptions {
            owner: "crashed-instance".into(),
            ..RunOptions::default()
        };
        crash.crash_before_files = true;
        assert!(
            site.app
                .billing_run(
                    month("2026-12"),
                    Some(kyosai_domain::Program::SmallEnterprise),
                    &out_dir("dec-se"),
                    &crash,
                    &no_progress,
                )
                .await
                .is_err()
        );

        // Staff: the list shows the runs and the imports.
        let (s, list) = site.get(&staff, "/staff/billing").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert!(list.contains("<th scope=\"col\">"));
        let nov_se = row(&list, "2026年11月分 小規模企業共済");
        assert!(nov_se.contains("完了"), "{nov_se}");
        assert!(nov_se.contains("2026年11月18日"), "{nov_se}");
        assert!(
            nov_se.contains(">1件<") && nov_se.contains(">30,000円<"),
            "{nov_se}"
        );
        assert!(nov_se.contains(">0件<"), "no exceptions: {nov_se}");
        let nov_sn = row(&list, "2026年11月分 経営セーフティ共済");
        assert!(
            nov_sn.contains(">2件<") && nov_sn.contains(">100,000円<"),
            "{nov_sn}"
        );
        let dec_se = row(&list, "2026年12月分 小規模企業共済");
        assert!(dec_se.contains("ファイルを作成中"), "{dec_se}");
        assert!(
            dec_se.contains(">1件<") && dec_se.contains(">60,000円<"),
            "{dec_se}"
        );
        let dec_sn = row(&list, "2026年12月分 経営セーフティ共済");
        assert!(dec_sn.contains(">1件<"), "B is an exception: {dec_sn}");
        for f in &written {
            assert!(list.contains(&format!("{}.result", f.name)), "{list}");
        }
        assert!(
            list.contains("1件 30,000円"),
            "the 小規模 import's totals: {list}"
        );

        // Each November run: files with their digests, a balanced reconciliation; every file
        // downloads byte for byte as the run wrote it.
        let run_ids: Vec<(i64, String)> = {
            let mut conn = site.store.read().await.unwrap();
            sqlx::query("SELECT id, program, month FROM billing_runs ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    use kyosai_store::Row;
                    (
                        r.try_get::<i64, _>("id").unwrap(),
                        format!(
                            "{}/{}",
                            r.try_get::<String, _>("program").unwrap(),
                            r.try_get::<String, _>("month").unwrap()
                        ),
                    )
                })
                .collect()
        };
        for (id, what) in &run_ids {
            let (s, page) = site.get(&staff, &format!("/staff/billing/runs/{id}")).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            assert!(page.contains("照合結果：一致"), "{what}: {page}");
            if what == "safety_net/2026-12" {
                assert!(page.contains(&b_sn), "B is an exception: {page}");
                assert!(page.contains("使える引落口座がありません"), "{page}");
                continue;
            }
            if what == "small_enterprise/2026-12" {
                assert!(page.contains("ファイルはまだ作成されていません"), "{page}");
                assert!(
                    page.contains("crashed-instance"),
                    "who holds the run: {page}"
                );
                assert!(page.contains("結果未着"), "{page}");
                continue;
            }
            assert!(page.contains("請求できなかった契約（0件）"), "{page}");
            let files: Vec<_> = written
                .iter()
                .filter(|f| what.starts_with(&f.name[9..f.name.find("_2026").unwrap()]))
                .collect();
            assert_eq!(files.len(), 1, "{what}");
            for f in files {
                assert!(page.contains(&f.sha256), "{page}");
                let href = format!("/staff/billing/runs/{id}/files/{}", f.name);
                assert!(page.contains(&href), "{page}");
                let r = staff
                    .get(format!("{}{href}", site.base))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                assert_eq!(r.headers()[CONTENT_TYPE], "application/octet-stream");
                assert_eq!(
                    r.headers()[CONTENT_DISPOSITION],
                    format!("attachment; filename=\"{}\"", f.name).as_str()
                );
                let bytes = r.bytes().await.unwrap();
                assert_eq!(bytes.as_ref(), std::fs::read(&f.path).unwrap().as_slice());
                assert_eq!(sha256(&bytes), f.sha256);
                // Members cannot download or see the run.
                let r = a.get(format!("{}{href}", site.base)).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN);
                assert!(r.text().await.unwrap().contains("<html lang=\"ja\">"));
            }
            let (s, _) = site.get(&a, &format!("/staff/billing/runs/{id}")).await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        let (s, _) = site.get(&a, "/staff/billing").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = site.get(&staff, "/staff/billing/runs/999999").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = site
            .get(
                &staff,
                &format!("/staff/billing/runs/{}/files/nope.dat", run_ids[0].0),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // A bill line changed behind the run's back: the rebuilt file no longer matches its
        // recorded digest and is not handed out.
        let se = written
            .iter()
            .find(|f| f.name.contains("small_enterprise"))
            .unwrap();
        let se_run = run_ids
            .iter()
            .find(|(_, w)| w == "small_enterprise/2026-11")
            .unwrap()
            .0;
        {
            let mut tx = site.store.begin_write().await.unwrap();
            sqlx::query("UPDATE bill_lines SET holder_kana = 'ﾍﾝｺｳ ｻﾚﾀ' WHERE run_id = $1")
                .bind(se_run)
                .execute(tx.conn())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let (s, body) = site
            .get(
                &staff,
                &format!("/staff/billing/runs/{se_run}/files/{}", se.name),
            )
            .await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("システムで問題が発生しました"));
    }
}

/// An uploaded result file, as a browser sends it.
async fn upload(
    site: &Site,
    c: &reqwest::Client,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, String, String) {
    site.upload(c, path, "result_file", file_name, bytes).await
}

async fn count_rows(site: &Site, sql: &'static str) -> i64 {
    let mut conn = site.store.read().await.unwrap();
    let row = sqlx::query(sql).fetch_one(&mut *conn).await.unwrap();
    kyosai_store::Row::try_get(&row, "n").unwrap()
}

/// The run page once its background run has completed (the page is read until it says so).
async fn completed_run_page(site: &Site, staff: &reqwest::Client, path: &str) -> String {
    for _ in 0..600 {
        let (s, page) = site.get(staff, path).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        if page.contains("<dd>完了</dd>") {
            return page;
        }
        assert!(!page.contains("エラーで停止"), "the run failed: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the run started from the screen did not complete");
}

#[tokio::test]
async fn staff_start_a_run_and_import_results_on_screen_and_follow_failed_debits() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let out = out_dir("screen");
        let site = support::spawn_with_billing_out(store, Clock::Fixed(now()), out.clone()).await;
        let (member, member_actor) = site.login(Role::Member, "m@example.jp").await;
        let (_, other_actor) = site.login(Role::Member, "n@example.jp").await;
        let (staff, _) = site.login(Role::Staff, "staff@example.jp").await;
        let a = site
            .enroll(&member_actor, "small_enterprise", "ヤマダ")
            .await;
        let b = site
            .enroll(&other_actor, "small_enterprise", "スズキ")
            .await;
        site.enroll(&member_actor, "safety_net", "ヤマダ").await;

        // The overview offers both forms; members may not start anything.
        let (s, list) = site.get(&staff, "/staff/billing").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains("action=\"/staff/billing/runs\""), "{list}");
        assert!(list.contains("enctype=\"multipart/form-data\""), "{list}");
        let start = [("program", "small_enterprise"), ("month", "2026-11")];
        let (s, _, _) = site.post(&member, "/staff/billing/runs", &start).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A run sends debit requests to the banks: a reviewer may not start one.
        let (reviewer, reviewer_actor) = site.login(Role::Staff, "rev@example.jp").await;
        site.app
            .set_staff_power(
                "test",
                reviewer_actor.user_id,
                kyosai_app::review::StaffPower::Reviewer,
            )
            .await
            .unwrap();
        let (s, _, _) = site.post(&reviewer, "/staff/billing/runs", &start).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Checked like the CLI: field messages, nothing started.
        let (s, _, body) = site
            .post(
                &staff,
                "/staff/billing/runs",
                &[("program", ""), ("month", "2026-13")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("共済を選択してください。"), "{body}");
        assert!(body.contains("年と月で入力してください"), "{body}");
        assert_eq!(
            count_rows(&site, "SELECT COUNT(*) AS n FROM billing_runs").await,
            0
        );

        // Another instance holds 倒産防止's November (it stopped before writing files; its lease
        // has not expired): a start from the screen is refused and says who holds it.
        let held = RunOptions {
            owner: "other-instance".into(),
            crash_before_files: true,
            ..RunOptions::default()
        };
        assert!(
            site.app
                .billing_run(
                    month("2026-11"),
                    Some(kyosai_domain::Program::SafetyNet),
                    &out_dir("held"),
                    &held,
                    &no_progress,
                )
                .await
                .is_err()
        );
        let (s, _, body) = site
            .post(
                &staff,
                "/staff/billing/runs",
                &[("program", "safety_net"), ("month", "2026-11")],
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("実行中です"), "{body}");
        assert!(body.contains("other-instance"), "{body}");
        assert!(
            body.contains("実行権の期限：2026年11月2日 10:01"),
            "until when, in Japan time: {body}"
        );
        let held_run: i64 = count_rows(
            &site,
            "SELECT id AS n FROM billing_runs WHERE program = 'safety_net'",
        )
        .await;
        let (_, page) = site
            .get(&staff, &format!("/staff/billing/runs/{held_run}"))
            .await;
        assert!(page.contains("進み具合"), "{page}");
        assert!(
            page.contains("<meta http-equiv=\"refresh\""),
            "a held run refreshes: {page}"
        );

        // 小規模's November from the screen: the request returns at once on the run's page;
        // the run completes in the background and writes its file into the configured folder.
        let (s, url, page) = site.post(&staff, "/staff/billing/runs", &start).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            url.starts_with("/staff/billing/runs/") && url.ends_with("?started=1"),
            "{url}"
        );
        assert!(page.contains("請求処理を開始しました"), "{page}");
        // A second start is refused whether the first is still running or already done.
        let (s, _, body) = site.post(&staff, "/staff/billing/runs", &start).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(
            body.contains("実行中です") || body.contains("請求処理が完了しています"),
            "{body}"
        );
        let path = url.trim_end_matches("?started=1").to_string();
        let page = completed_run_page(&site, &staff, &path).await;
        assert!(page.contains("画面から開始"), "{page}");
        assert!(page.contains("完了（依頼ファイル作成）"), "{page}");
        assert!(
            !page.contains("<meta http-equiv=\"refresh\""),
            "done: no more reloads"
        );
        let written: Vec<PathBuf> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "dat"))
            .collect();
        assert_eq!(written.len(), 1, "{written:?}");
        let file_name = written[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let request = std::fs::read(&written[0]).unwrap();
        assert!(page.contains(&sha256(&request)), "{page}");
        let href = format!("{path}/files/{file_name}");
        assert!(page.contains(&href), "{page}");
        let downloaded = staff.get(site.url(&href)).send().await.unwrap();
        assert_eq!(
            downloaded.bytes().await.unwrap().as_ref(),
            request.as_slice()
        );
        let (s, _, body) = site.post(&staff, "/staff/billing/runs", &start).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(body.contains("請求処理が完了しています"), "{body}");
        assert_eq!(
            count_rows(
                &site,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'billing.run_started'"
            )
            .await,
            1,
            "the start is audited"
        );

        // The bank: A lacks funds, B's account is gone.
        let b_line = site.line_id(&b, "2026-11").await;
        let result = bank_result(&request, |id| {
            if id == b_line {
                ResultCode::NoAccount
            } else {
                ResultCode::InsufficientFunds
            }
        });

        // A file whose first record's amount was altered no longer adds up to its trailer: it
        // is refused whole, with where and what; nothing is posted.
        let mut bad = result.clone();
        let amount_end = bad.iter().position(|&c| c == b'\n').unwrap() + 1 + 90;
        bad[amount_end - 1] = if bad[amount_end - 1] == b'9' {
            b'8'
        } else {
            b'9'
        };
        let (s, _, body) =
            upload(&site, &staff, "/staff/billing/imports", "bad.result", &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("何も計上していません"), "{body}");
        assert!(body.contains("4件目のレコード"), "the trailer: {body}");
        assert!(body.contains("トレーラーの合計金額は60000"), "{body}");
        assert_eq!(
            count_rows(
                &site,
                "SELECT COUNT(*) AS n FROM billing_ledger WHERE kind IN ('collected', 'failed')"
            )
            .await,
            0
        );
        assert_eq!(
            count_rows(
                &site,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'billing.results_refused'"
            )
            .await,
            1
        );
        let (s, _, _) = upload(
            &site,
            &member,
            "/staff/billing/imports",
            "x.result",
            &result,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // The right file: its report; the same file again is refused by its digest.
        let (s, _, body) = upload(
            &site,
            &staff,
            "/staff/billing/imports",
            "nov.result",
            &result,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("振替結果を取り込みました"), "{body}");
        assert!(body.contains("nov.result"));
        assert!(
            body.contains(">振替不能</th><td class=\"num\">2件</td>"),
            "{body}"
        );
        assert!(body.contains("口座が使えなくなった契約：1件"), "{body}");
        let (s, _, body) = upload(
            &site,
            &staff,
            "/staff/billing/imports",
            "again.result",
            &result,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("取り込み済み"), "{body}");
        let (_, list) = site.get(&staff, "/staff/billing").await;
        assert!(
            list.contains("nov.result") && !list.contains("bad.result"),
            "{list}"
        );

        // Failed debits by contract, with the cause and whether the account still works.
        let (s, failed) = site.get(&staff, "/staff/billing/failed").await;
        assert_eq!(s, StatusCode::OK, "{failed}");
        let a_row = row(&failed, &a);
        assert!(
            a_row.contains("2026年11月") && a_row.contains("資金不足"),
            "{a_row}"
        );
        assert!(a_row.contains("使用可"), "{a_row}");
        let b_row = row(&failed, &b);
        assert!(
            b_row.contains("取引なし") && b_row.contains("使用不可"),
            "{b_row}"
        );
        assert!(failed.contains(&format!("href=\"/portal/contracts/{b}/billing\"")));
        let (_, nov) = site
            .get(
                &staff,
                "/staff/billing/failed?month=2026-11&program=small_enterprise",
            )
            .await;
        assert!(nov.contains(&a) && nov.contains(&b), "{nov}");
        let (_, other) = site
            .get(
                &staff,
                "/staff/billing/failed?month=2026-11&program=safety_net",
            )
            .await;
        assert!(!other.contains(&a) && other.contains("該当する振替不能はありません"));
        let (_, dec) = site
            .get(&staff, "/staff/billing/failed?month=2026-12")
            .await;
        assert!(!dec.contains(&a), "{dec}");
        let (s, body) = site.get(&staff, "/staff/billing/failed?month=11月").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("年と月で入力してください"), "{body}");
        let (s, _) = site.get(&member, "/staff/billing/failed").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // The other instance never came back: once its lease has expired the run page offers
        // to resume, and a start from the screen finishes the run from where it stopped.
        {
            let mut tx = site.store.begin_write().await.unwrap();
            sqlx::query(
                "UPDATE billing_runs SET lock_until = '2026-11-02T00:59:00Z' WHERE id = $1",
            )
            .bind(held_run)
            .execute(tx.conn())
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let held_path = format!("/staff/billing/runs/{held_run}");
        let (_, page) = site.get(&staff, &held_path).await;
        assert!(page.contains("続きから再開する"), "{page}");
        assert!(!page.contains("<meta http-equiv=\"refresh\""), "{page}");
        let (s, url, _) = site
            .post(
                &staff,
                "/staff/billing/runs",
                &[("program", "safety_net"), ("month", "2026-11")],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(url, format!("{held_path}?started=1"));
        let page = completed_run_page(&site, &staff, &held_path).await;
        assert!(
            page.contains("KYOSAI91_"),
            "files written on resumption: {page}"
        );
        assert!(
            count_rows(
                &site,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'billing.run_started' \
                 AND after_state LIKE '%\"resumed\":true%'"
            )
            .await
                == 1,
            "the resumption is audited as one"
        );
    }
}
