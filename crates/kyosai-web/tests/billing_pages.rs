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
