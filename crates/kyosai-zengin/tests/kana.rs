use kyosai_zengin::encoding::{
    decode_field, decode_shift_jis, encode_field, encode_shift_jis, zengin_byte, zengin_char,
};
use kyosai_zengin::kana::{CharClass, convert, to_zengin_bank_kana, zengin_width};
use kyosai_zengin::text::{BankName, HolderName};
use kyosai_zengin::{KanaError, check_field_width, to_zengin_kana};
use proptest::prelude::*;

#[test]
fn conversion_table() {
    let cases = [
        ("ガッコウ", "ｶﾞﾂｺｳ"),
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ｶ)ﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ"),
        ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("パン", "ﾊﾟﾝ"),
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        ("ゔぁ", "ｳﾞｱ"),
        ("キャッシュ", "ｷﾔﾂｼﾕ"),
        ("ァィゥェォヵヶッャュョヮ", "ｱｲｳｴｵｶｹﾂﾔﾕﾖﾜ"),
        ("ｧｨｩｪｫｯｬｭｮ", "ｱｲｳｴｵﾂﾔﾕﾖ"),
        ("ヰヱヲ", "ｲｴｵ"),
        ("ゐゑを", "ｲｴｵ"),
        ("ｦ", "ｵ"),
        ("コーヒー", "ｺ-ﾋ-"),
        ("ｺｰﾋｰ", "ｺ-ﾋ-"),
        ("ア－イ‐ウ", "ｱ-ｲ-ｳ"),
        ("ａｂｃ　ＸＹＺ", "ABC XYZ"),
        ("abc xyz", "ABC XYZ"),
        ("０１２３", "0123"),
        ("  ヤマダ   　タロウ  ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("（カ）ヤマダショウテン", "(ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ"),
        ("カ．", "ｶ."),
        // Decomposed input (NFD, as macOS produces): カ + U+3099.
        ("\u{30AB}\u{3099}", "ｶﾞ"),
        ("ハ\u{309A}", "ﾊﾟ"),
        // Spacing voicing marks.
        ("カ゛", "ｶﾞ"),
        ("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"),
        ("ヷヸヹヺ", "ﾜﾞｲﾞｴﾞｵﾞ"),
        ("①", "1"),
    ];
    for (input, want) in cases {
        assert_eq!(
            to_zengin_kana(input).as_deref(),
            Ok(want),
            "input {input:?}"
        );
    }
}

#[test]
fn every_voiced_katakana_splits() {
    let voiced = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
    let base = "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ";
    for (v, b) in voiced.chars().zip(base.chars()) {
        assert_eq!(to_zengin_kana(&v.to_string()).unwrap(), format!("{b}ﾞ"));
    }
    for (v, b) in "パピプペポ".chars().zip("ﾊﾋﾌﾍﾎ".chars()) {
        assert_eq!(to_zengin_kana(&v.to_string()).unwrap(), format!("{b}ﾟ"));
    }
}

#[test]
fn kanji_is_rejected_with_position_and_japanese_message() {
    let err = to_zengin_kana("山田").unwrap_err();
    assert_eq!(
        err,
        KanaError::DisallowedCharacter {
            character: '山',
            position: 1,
            class: CharClass::Party
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("「山」"), "{msg}");
    assert!(msg.contains("口座名義に使えない文字"), "{msg}");
    assert!(msg.contains("カタカナで入力してください"), "{msg}");
    assert_eq!(err.code(), "character");

    let err = to_zengin_kana("ヤマ田").unwrap_err();
    assert!(matches!(
        err,
        KanaError::DisallowedCharacter {
            character: '田',
            position: 3,
            ..
        }
    ));
}

#[test]
fn other_disallowed_characters() {
    for (input, bad) in [
        ("ヤマダ・タロウ", '・'),
        ("ヤマダ,タロウ", ','),
        ("A&B", '&'),
        ("ﾔﾏﾀﾞ/ﾀﾛｳ", '/'),
        ("㈱ヤマダ", '㈱'), // NFKC gives (株): kanji
        ("\u{0}", '\u{0}'),
        ("😀", '😀'),
        ("ヽ", 'ヽ'),
        ("ｱ｡", '｡'),
    ] {
        match to_zengin_kana(input) {
            Err(KanaError::DisallowedCharacter { character, .. }) => {
                assert_eq!(character, bad, "input {input:?}")
            }
            other => panic!("{input:?}: {other:?}"),
        }
    }
    assert!(matches!(to_zengin_kana(""), Err(KanaError::Empty { .. })));
    assert!(matches!(
        to_zengin_kana(" 　 "),
        Err(KanaError::Empty { .. })
    ));
}

#[test]
fn bank_names_allow_only_hyphen() {
    assert_eq!(to_zengin_bank_kana("みずほ").unwrap(), "ﾐｽﾞﾎ");
    assert_eq!(
        to_zengin_bank_kana("ゆうちょ－ゼロイチキュウ").unwrap(),
        "ﾕｳﾁﾖ-ｾﾞﾛｲﾁｷﾕｳ"
    );
    let err = to_zengin_bank_kana("(カ)").unwrap_err();
    assert!(matches!(
        err,
        KanaError::DisallowedCharacter {
            character: '(',
            class: CharClass::Bank,
            ..
        }
    ));
    assert!(err.to_string().contains("金融機関名・支店名"));
    assert!(BankName::new("ｷﾞﾝｺｳ.").is_err());
    assert!(HolderName::new("ｶ)ﾔﾏﾀﾞ.").is_ok());
}

#[test]
fn field_width() {
    assert_eq!(zengin_width("ﾔﾏﾀﾞ"), 4);
    assert!(check_field_width("ﾔﾏﾀﾞ ﾀﾛｳ", 30).is_ok());
    let long = "ｱ".repeat(30);
    assert!(check_field_width(&long, 30).is_ok());
    let err = check_field_width(&format!("{long}ﾞ"), 30).unwrap_err();
    assert_eq!(
        err,
        KanaError::TooLong {
            actual_bytes: 31,
            max_bytes: 30,
            class: CharClass::Party
        }
    );
    assert!(err.to_string().contains("半角30文字まで"), "{err}");
    // ZenginText enforces the same limit.
    assert!(HolderName::new(&long).is_ok());
    assert!(matches!(
        HolderName::new(&format!("{long}ｱ")),
        Err(KanaError::TooLong { .. })
    ));
    // 15 voiced kana are 30 bytes.
    let converted = to_zengin_kana(&"ガ".repeat(15)).unwrap();
    assert!(HolderName::new(&converted).is_ok());
    assert!(BankName::from_input(&"ガ".repeat(8)).is_err());
}

#[test]
fn zengin_text_rejects_unconverted_text() {
    assert!(HolderName::new("ヤマダ").is_err()); // full-width
    assert!(HolderName::new("ﾔﾏﾀﾞ").is_ok());
    assert!(HolderName::new("ｬ").is_err()); // small kana
    assert!(HolderName::new("ｰ").is_err()); // ｰ 0xB0
    assert!(HolderName::new("ｦ").is_err());
    assert!(HolderName::new("a").is_err());
    let t = HolderName::from_input("やまだ　たろう").unwrap();
    assert_eq!(t.to_string(), "ﾔﾏﾀﾞ ﾀﾛｳ");
    assert_eq!(t.trimmed_bytes().len(), 8);
    assert_eq!(t.as_bytes().len(), 30);
}

#[test]
fn direct_mapping_agrees_with_encoding_rs() {
    for b in 0u8..=255 {
        for class in [CharClass::Party, CharClass::Bank] {
            if class.allows_byte(b) {
                let c = zengin_char(b).unwrap();
                assert_eq!(zengin_byte(c), Some(b));
                assert_eq!(encode_shift_jis(&c.to_string()).unwrap(), vec![b]);
                assert_eq!(decode_shift_jis(&[b]).unwrap(), c.to_string());
            }
        }
    }
    // The allowed set is exactly what REFERENCE §8 lists.
    let party: Vec<u8> = (0u8..=255)
        .filter(|&b| CharClass::Party.allows_byte(b))
        .collect();
    let mut want: Vec<u8> = b" ()-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec();
    want.extend(0xB1..=0xDF);
    want.sort();
    assert_eq!(party, want);
    let bank: Vec<u8> = (0u8..=255)
        .filter(|&b| CharClass::Bank.allows_byte(b))
        .collect();
    assert_eq!(bank.len(), want.len() - 3);
    assert!(!CharClass::Party.allows_byte(0xB0)); // ｰ
    assert!(!CharClass::Party.allows_byte(0xA6)); // ｦ
    assert!(!CharClass::Party.allows_byte(0xAF)); // ｯ
}

#[test]
fn shift_jis_checks_errors() {
    assert_eq!(
        encode_shift_jis("山田").unwrap(),
        vec![0x8E, 0x52, 0x93, 0x63]
    );
    assert!(encode_shift_jis("😀").is_err());
    assert_eq!(decode_shift_jis(&[0x8E, 0x52]).unwrap(), "山");
    assert!(decode_shift_jis(&[0x8E]).is_err());
    assert!(decode_shift_jis(&[0x81, 0x20]).is_err());
    assert_eq!(
        encode_field("ﾔﾏﾀﾞ", CharClass::Party).unwrap(),
        vec![0xD4, 0xCF, 0xC0, 0xDE]
    );
    assert!(encode_field("ヤ", CharClass::Party).is_err());
    assert!(decode_field(&[0x8E, 0x52], CharClass::Party).is_err());
    assert_eq!(decode_field(b"ABC-1", CharClass::Bank).unwrap(), "ABC-1");
}

proptest! {
    #[test]
    fn conversion_output_is_always_zengin(input in "\\PC{0,40}") {
        if let Ok(out) = to_zengin_kana(&input) {
            prop_assert!(!out.is_empty());
            prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
            prop_assert!(!out.contains("  "));
            prop_assert!(out.chars().all(|c| CharClass::Party.allows_char(c)));
            // Idempotent.
            prop_assert_eq!(to_zengin_kana(&out), Ok(out.clone()));
        }
    }

    #[test]
    fn kana_inputs_always_convert(input in "[ぁ-ゖァ-ヺー　 a-zA-Z0-9ｱ-ﾝ]{1,40}") {
        prop_assume!(!input.trim_matches(|c| c == ' ' || c == '　').is_empty());
        let out = convert(&input, CharClass::Bank);
        prop_assert!(out.is_ok(), "{:?} -> {:?}", input, out);
    }
}
