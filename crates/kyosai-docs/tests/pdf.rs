//! Every template rendered from sample data: the text a reader (or a screen reader, or a tax
//! office's OCR) gets out of the PDF holds the member's name, the contract number and every
//! amount as the template prints it, and page 1 rasterises to a real A4 page. Uses poppler's
//! `pdftotext` and `pdftoppm` (Debian's poppler-utils) as independent readers.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use kyosai_docs::pdf::{RenderError, Renderer, fonts};
use support::samples;

static RENDERER: LazyLock<Renderer> = LazyLock::new(|| {
    Renderer::new(&fonts::default_dir()).unwrap_or_else(|e| panic!("renderer: {e}"))
});

fn write(dir: &Path, name: &str, pdf: &[u8]) -> std::path::PathBuf {
    assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    path
}

/// The page text as poppler extracts it, without whitespace: typst sets a thin space between
/// Japanese and Latin characters (令和 8 年) and the columns add more, none of it meaningful.
fn text_of(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .collect()
}

fn assert_contains(text: &str, wanted: &[&str]) {
    for w in wanted {
        let w: String = w.split_whitespace().collect();
        assert!(
            text.contains(&w),
            "{w:?} missing from the page text:\n{text}"
        );
    }
}

/// Page 1 at 50 dpi: A4 (210×297 mm → 414×585 px at 50 dpi, give or take a pixel), and ink on
/// it (a blank or failed page is all white).
fn assert_page_one_renders(pdf: &Path) {
    let prefix = pdf.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (Debian's poppler-utils) must be installed");
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let png = prefix.with_extension("png");
    let file = std::io::BufReader::new(std::fs::File::open(&png).expect("png"));
    let mut reader = png::Decoder::new(file).read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let frame = reader.next_frame(&mut buf).expect("png frame");
    let (w, h) = (frame.width, frame.height);
    assert!(
        (413..=415).contains(&w) && (584..=586).contains(&h),
        "{w}×{h} is not A4 at 50 dpi"
    );
    let samples = frame.color_type.samples();
    let pixels = &buf[..frame.buffer_size()];
    let dark = pixels
        .chunks(samples)
        .filter(|px| px.iter().take(3).any(|&c| c < 128))
        .count();
    let total = (w * h) as usize;
    // Text, tables and a QR code: clearly more than a speck, clearly less than a filled page.
    assert!(
        dark * 100 > total,
        "page 1 is (almost) blank: {dark} dark pixels of {total}"
    );
    assert!(dark * 2 < total, "page 1 is mostly dark: {dark} of {total}");
}

/// Writes a rendered document, checks its page text holds every `wanted` string and that page 1
/// renders as an A4 page with ink on it; returns the text for further checks.
fn rendered(name: &str, pdf: &[u8], wanted: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), name, pdf);
    let text = text_of(&path);
    assert_contains(&text, wanted);
    assert_page_one_renders(&path);
    text
}

#[test]
fn deduction_certificate_of_a_past_year() {
    let c = samples::certificate(1_234_567);
    let text = rendered(
        "certificate",
        &RENDERER.deduction_certificate(&c).expect("render"),
        &[
            samples::MEMBER,
            &c.head.contract_number.digits(),
            "令和7年分 小規模企業共済掛金控除証明書",
            "30,000円",
            "360,000円",
            "1,215円",
            "358,785円",
            "C2025-1234567",
            "令和8年1月15日（2026年1月15日）",
            "令和7年12月（2025年12月）",
            "https://kyosai.example.jp/verify/C2025-1234567",
            "独立行政法人 中小企業基盤整備機構",
        ],
    );
    assert!(
        !text.contains("****"),
        "a fixed amount is printed, not ****"
    );
    assert!(
        !text.contains("見込"),
        "a past year has no expected amounts"
    );
}

#[test]
fn deduction_certificate_of_the_current_year_with_an_unfixed_amount() {
    let c = samples::current_year_certificate();
    rendered(
        "current",
        &RENDERER.deduction_certificate(&c).expect("render"),
        &[
            samples::MEMBER,
            &c.head.contract_number.digits(),
            "令和8年分",
            "700,000円",
            "140,000円",
            "840,000円",
            "****",
            "12月までの納付見込額",
        ],
    );
}

#[test]
fn certificate_figures_that_do_not_add_up_are_refused() {
    let mut c = samples::certificate(1);
    c.paid_total = kyosai_domain::Yen::new(359_999);
    assert!(matches!(
        RENDERER.deduction_certificate(&c),
        Err(RenderError::Inconsistent(_))
    ));
    let mut c = samples::certificate(1);
    c.head.program = kyosai_domain::Program::SafetyNet;
    assert!(matches!(
        RENDERER.deduction_certificate(&c),
        Err(RenderError::Inconsistent(_))
    ));
}

#[test]
fn contract_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = samples::contract_certificate();
    let pdf = write(
        dir.path(),
        "contract",
        &RENDERER.contract_certificate(&c).expect("render"),
    );
    let text = text_of(&pdf);
    assert_contains(
        &text,
        &[
            samples::MEMBER,
            &c.head.contract_number.digits(),
            "共済契約締結証書",
            "200,000円",
            "令和8年4月1日（2026年4月1日）",
            "月払",
            "東京商工会議所",
            "経営セーフティ共済",
        ],
    );
}

#[test]
fn contract_details_notice() {
    let n = samples::contract_details();
    rendered(
        "details",
        &RENDERER.contract_details(&n).expect("render"),
        &[
            samples::MEMBER,
            &n.head.contract_number.digits(),
            "契約内容確認書",
            "30,000円",
            "45,500円",
            "134か月",
            "令和8年7月1日（2026年7月1日）",
        ],
    );
}

#[test]
fn payment_status_notice_with_loan_limit() {
    let n = samples::payment_status();
    rendered(
        "status",
        &RENDERER.payment_status(&n).expect("render"),
        &[
            samples::MEMBER,
            &n.head.contract_number.digits(),
            "掛金納付状況及び貸付限度額等のお知らせ",
            "200,000円",
            "4,600,000円",
            "46,000,000円",
            "23か月",
            "第66条の11",
        ],
    );

    let without_limit = kyosai_docs::pdf::data::PaymentStatusNotice {
        loan_limit: None,
        notes: Vec::new(),
        ..n
    };
    let text = rendered(
        "status2",
        &RENDERER.payment_status(&without_limit).expect("render"),
        &["掛金納付状況のお知らせ", "4,600,000円"],
    );
    assert!(
        !text.contains("貸付限度額"),
        "no loan limit line without a limit"
    );
}

#[test]
fn cancellation_notice() {
    let n = samples::cancellation_notice();
    rendered(
        "cancel",
        &RENDERER.cancellation_notice(&n).expect("render"),
        &[
            samples::MEMBER,
            &n.head.contract_number.digits(),
            "共済契約解除通知書",
            "機構解除",
            "1,260,000円",
            "1,071,000円",
            "84か月",
            "令和8年10月20日（2026年10月20日）",
        ],
    );
}

#[test]
fn payout_decision_notice() {
    let n = samples::payout_decision();
    rendered(
        "payout",
        &RENDERER.payout_decision(&n).expect("render"),
        &[
            samples::MEMBER,
            &n.head.contract_number.digits(),
            "支払決定通知書兼振込通知書",
            "分割共済金",
            "450,000円",
            "30,000円",
            "15,000円",
            "45,000円",
            "405,000円",
            "101,250円",
            "令和9年1月15日（2027年1月15日）",
            "令和9年7月15日（2027年7月15日）",
        ],
    );

    let mut wrong = samples::payout_decision();
    wrong.net = kyosai_domain::Yen::new(420_000);
    assert!(matches!(
        RENDERER.payout_decision(&wrong),
        Err(RenderError::Inconsistent(_))
    ));
}

#[test]
fn pdf_metadata_has_the_title_and_the_page_is_tagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = write(
        dir.path(),
        "meta",
        &RENDERER
            .deduction_certificate(&samples::certificate(7))
            .expect("render"),
    );
    let out = Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo");
    let info = String::from_utf8(out.stdout).expect("utf-8");
    assert_contains(
        &info.split_whitespace().collect::<String>(),
        &[
            "Title: 令和7年分 小規模企業共済掛金控除証明書",
            "Tagged: yes",
            "Pages: 1",
            "595.276 x 841.89 pts (A4)",
        ],
    );
    let fonts = Command::new("pdffonts")
        .arg(&pdf)
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8(fonts.stdout).expect("utf-8");
    assert!(
        fonts.contains("BIZUDPGothic"),
        "BIZ UD Gothic embedded:\n{fonts}"
    );
    assert!(
        fonts.lines().skip(2).all(|l| l.contains("yes")),
        "every font embedded:\n{fonts}"
    );
}

#[test]
fn a_missing_font_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    match Renderer::new(dir.path()) {
        Err(e @ RenderError::FontMissing { .. }) => {
            let message = e.to_string();
            assert!(message.contains("fonts-morisawa-bizud-gothic"), "{message}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a renderer without fonts"),
    }
}

fn report() -> kyosai_docs::pdf::data::Report {
    use kyosai_docs::pdf::data::{Report, ReportSection};
    Report {
        title: "オンライン利用率の実績（第三者委員会 報告）".into(),
        subtitle: "2026年4月〜2027年3月".into(),
        issued_on: jiff::civil::date(2027, 4, 10),
        author: "独立行政法人 中小企業基盤整備機構".into(),
        sections: vec![
            ReportSection {
                heading: "小規模企業共済 加入関係".into(),
                note: "オンライン件数／全件数。".into(),
                columns: vec![
                    "手続き".into(),
                    "オンライン".into(),
                    "全件".into(),
                    "利用率".into(),
                ],
                rows: (1..=60)
                    .map(|i| {
                        vec![
                            format!("手続き{i}"),
                            format!("{i}件"),
                            "1,234件".into(),
                            "12.5%".into(),
                        ]
                    })
                    .collect(),
            },
            ReportSection {
                heading: "処理期間".into(),
                note: String::new(),
                columns: vec!["経路".into(), "中央値".into()],
                rows: vec![vec!["オンライン".into(), "0分".into()]],
            },
        ],
    }
}

#[test]
fn a_report_of_tables_runs_over_pages() {
    let r = report();
    let pdf = RENDERER.report(&r).expect("render");
    let text = rendered(
        "report",
        &pdf,
        &[
            "オンライン利用率の実績（第三者委員会 報告）",
            "2026年4月〜2027年3月",
            "令和9年4月10日（2027年4月10日）",
            "小規模企業共済 加入関係",
            "手続き60",
            "1,234件",
            "12.5%",
            "処理期間",
        ],
    );
    // Sixty rows do not fit one page: the heading row is repeated on the next.
    // (poppler reads the table column by column: the heading cell, then the column's cells).
    assert!(text.contains("1/2") && text.contains("2/2"), "{text}");
    assert!(text.contains("手続き手続き1手続き2"), "{text}");
    assert!(text.contains("手続き手続き49"), "{text}");
    // A row with a missing cell is refused: nothing is printed.
    let mut broken = r.clone();
    broken.sections[1].rows.push(vec!["書面".into()]);
    assert!(matches!(
        RENDERER.report(&broken),
        Err(RenderError::Inconsistent(_))
    ));
}
