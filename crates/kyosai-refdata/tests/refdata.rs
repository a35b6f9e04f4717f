//! Facts from the real embedded data. Dates and codes here are public facts
//! (内閣府「国民の祝日」, 全銀協 codes, Japan Post postcodes).

use jiff::civil::date;
use kyosai_refdata::*;

#[test]
fn every_row_parsed() {
    let sets = datasets();
    assert_eq!(sets.len(), 4);
    for d in &sets {
        assert!(d.is_complete(), "{d:?}");
        assert!(
            d.source.contains(' '),
            "source names package and version: {d:?}"
        );
    }
    let by_name = |n: &str| sets.iter().find(|d| d.name == n).map(|d| d.parsed_rows);
    assert!(by_name("holidays") > Some(800));
    assert!(by_name("banks") > Some(1000));
    assert!(by_name("branches") > Some(25_000));
    assert!(by_name("postcodes") > Some(140_000));
    assert_eq!(holidays().len(), by_name("holidays").unwrap_or(0));
    assert_eq!(banks().len(), by_name("banks").unwrap_or(0));
}

#[test]
fn holiday_facts() {
    assert_eq!(holiday_name(date(2026, 1, 1)), Some("元日"));
    assert_eq!(holiday_name(date(2026, 1, 12)), Some("成人の日"));
    assert_eq!(holiday_name(date(2026, 9, 21)), Some("敬老の日"));
    // Between 敬老の日 and 秋分の日 in 2026 (シルバーウィーク).
    assert_eq!(holiday_name(date(2026, 9, 22)), Some("国民の休日"));
    assert_eq!(holiday_name(date(2026, 9, 23)), Some("秋分の日"));
    // 2025-05-04 (みどりの日) was a Sunday.
    assert_eq!(holiday_name(date(2025, 5, 6)), Some("振替休日"));
    assert_eq!(holiday_name(date(2019, 5, 1)), Some("天皇の即位の日"));
    assert_eq!(holiday_name(date(2020, 7, 24)), Some("スポーツの日"));
    assert_eq!(holiday_name(date(2026, 1, 2)), None);
    assert!(is_holiday(date(2026, 2, 23)));
    assert!(!is_holiday(date(2026, 2, 24)));
    // 2026: 16 named holidays + 振替休日 (5/6) + 国民の休日 (9/22).
    assert_eq!(
        holidays_between(date(2026, 1, 1), date(2026, 12, 31)).len(),
        18
    );
    assert!(holidays_between(date(2026, 12, 31), date(2026, 1, 1)).is_empty());
}

#[test]
fn holiday_list_and_range() {
    let all = holidays();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    let (first, last) = holiday_range();
    assert_eq!(first, date(1986, 1, 1));
    assert_eq!(last, date(2035, 12, 31));
    assert!(first <= date(2000, 1, 1));
    assert_eq!(all.first(), Some(&date(1986, 1, 1)));
    assert!(all.last().is_some_and(|d| *d <= last && d.year() == 2035));
    // Every covered year has 元日.
    for y in first.year()..=last.year() {
        assert_eq!(holiday_name(date(y, 1, 1)), Some("元日"), "{y}");
    }
}

#[test]
fn bank_facts() {
    let mizuho = bank("0001").map(|b| (b.name, b.kana));
    assert_eq!(mizuho, Some(("みずほ", "ミズホ")));
    assert_eq!(bank("0005").map(|b| b.name), Some("三菱ＵＦＪ"));
    assert_eq!(bank("0009").map(|b| b.name), Some("三井住友"));
    assert_eq!(
        bank("9900").map(|b| (b.name, b.kana)),
        Some(("ゆうちょ", "ユウチヨ"))
    );
    assert_eq!(bank("9999"), None);
    assert_eq!(bank("1"), None);
    assert_eq!(bank(""), None);
}

#[test]
fn branch_facts() {
    let b = branch("0001", "001");
    assert_eq!(
        b.map(|b| (b.bank_code, b.code, b.name, b.kana)),
        Some(("0001", "001", "東京営業部", "トウキヨウ"))
    );
    assert_eq!(branch("9900", "018").map(|b| b.name), Some("〇一八"));
    assert_eq!(branch("0001", "999"), None);
    assert_eq!(branch("9999", "001"), None);
    assert!(branches("0001").len() > 100);
    assert!(branches("0001").iter().all(|b| b.bank_code == "0001"));
    assert!(branches("9999").is_empty());
}

#[test]
fn bank_search() {
    let codes = |q: &str| {
        search_banks(q, 5)
            .iter()
            .map(|b| b.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(codes("0001").first(), Some(&"0001"));
    assert_eq!(codes("みずほ").first(), Some(&"0001"));
    assert_eq!(codes("みずほ銀行").first(), Some(&"0001"));
    assert_eq!(codes("ミズホ").first(), Some(&"0001"));
    assert_eq!(codes("ﾐｽﾞﾎ").first(), Some(&"0001"));
    assert_eq!(codes("ゆうちょ").first(), Some(&"9900"));
    assert_eq!(codes("ゆうちょ銀行").first(), Some(&"9900"));
    assert_eq!(codes("三菱UFJ").first(), Some(&"0005"));
    assert_eq!(codes("みつびしゆーえふじぇい").first(), Some(&"0005"));
    assert!(codes("北海道信用金庫").contains(&"1001"));
    assert_eq!(search_banks("00", 3).len(), 3);
    assert!(
        search_banks("00", 100)
            .iter()
            .all(|b| b.code.starts_with("00"))
    );
    assert_eq!(search_banks("", 4).len(), 4);
    assert!(search_banks("みずほ", 0).is_empty());
    assert!(search_banks("存在しない銀行名", 10).is_empty());
}

#[test]
fn branch_search() {
    let names = |q: &str| {
        search_branches("0001", q, 50)
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("001").first(), Some(&"東京営業部"));
    assert!(names("新宿").contains(&"新宿"));
    assert!(names("新宿支店").contains(&"新宿"));
    assert!(names("しんじゅく").contains(&"新宿"));
    assert_eq!(
        search_branches("9900", "018", 5).first().map(|b| b.code),
        Some("018")
    );
    assert!(search_branches("9999", "", 5).is_empty());
    assert_eq!(search_branches("0001", "", 5).len(), 5);
}

#[test]
fn postcode_facts() {
    let a = postcode("1000001");
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].prefecture, a[0].city, a[0].town),
        ("東京都", "千代田区", "千代田")
    );
    assert_eq!(a[0].kind, PostcodeKind::Area);
    assert_eq!(a[0].town_kana, "チヨダ");
    assert_eq!(a[0].address(), "東京都千代田区千代田");

    // SMRJ's own business postcode.
    let smrj = postcode("105-8453");
    assert_eq!(smrj.len(), 1);
    assert_eq!(smrj[0].kind, PostcodeKind::Office);
    assert_eq!(smrj[0].office, Some("独立行政法人　中小企業基盤整備機構"));
    assert_eq!(
        (smrj[0].prefecture, smrj[0].city, smrj[0].town),
        ("東京都", "港区", "虎ノ門")
    );
    assert_eq!(postcode("1058453"), smrj);
    assert_eq!(postcode("〒105-8453"), smrj);
    assert_eq!(postcode("１０５－８４５３"), smrj);

    // A city's catch-all code.
    let sapporo = postcode("060-0000");
    assert_eq!(
        sapporo.first().map(|a| (a.city, a.town, a.note)),
        Some(("札幌市中央区", "", Some("以下に掲載がない場合")))
    );

    // Floors of a high-rise have their own codes.
    assert_eq!(
        postcode("1006001").first().map(|a| a.note),
        Some(Some("1階"))
    );
}

#[test]
fn postcode_with_several_towns() {
    // 029-5502 (岩手県 和賀郡西和賀町) covers three 地割 areas.
    let towns: Vec<_> = postcode("029-5502")
        .iter()
        .map(|a| (a.town, a.note))
        .collect();
    assert_eq!(
        towns,
        [
            ("下前", Some("７地割〜下前１４地割")),
            ("寅沢", Some("１５地割")),
            ("樺沢", Some("１６地割、樺沢１７地割")),
        ]
    );
}

#[test]
fn postcode_invalid_or_unknown() {
    assert!(postcode("0000000").is_empty());
    assert!(postcode("1000").is_empty());
    assert!(postcode("10000011").is_empty());
    assert!(postcode("10-00001").is_empty());
    assert!(postcode("100--0001").is_empty());
    assert!(postcode("abc-defg").is_empty());
    assert!(postcode("").is_empty());
    assert_eq!(normalize_postcode(" 100-0001 ").as_deref(), Some("1000001"));
}
