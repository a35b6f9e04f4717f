//! Sample documents with realistic figures, shared by the rendering tests and the render
//! benchmark (`examples/render_bench.rs`).

use jiff::civil::{Date, date};
use kyosai_docs::pdf::data::{
    Addressee, CancellationNotice, ChangeValue, ChangedItem, ContractCertificate,
    ContractDetailsNotice, Deduction, DeductionCertificate, DocumentIdentity, LetterHead,
    MonthlyPremium, Organization, PaymentStatusNotice, PayoutDecisionNotice, ScheduledPayment,
    YearToDate,
};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{ContractNumber, Program, YearMonth, Yen};

pub const MEMBER: &str = "山田 太郎";

pub fn contract_number(serial: u32) -> ContractNumber {
    ContractNumber::from_serial(serial).expect("serial in range")
}

pub fn head(program: Program, serial: u32, document_number: &str, issued_on: Date) -> LetterHead {
    LetterHead {
        identity: DocumentIdentity {
            document_number: document_number.to_string(),
            issued_on,
            verify_url: format!("https://kyosai.example.jp/verify/{document_number}"),
        },
        organization: Organization {
            name: "独立行政法人 中小企業基盤整備機構（中小機構）".to_string(),
            section: match program {
                Program::SmallEnterprise => "小規模共済契約課",
                Program::SafetyNet => "倒産防止共済貸付課",
            }
            .to_string(),
            address: "〒105-8453 東京都港区虎ノ門3-5-1 虎ノ門37森ビル".to_string(),
            contact_center: "共済相談室 050-5541-7171".to_string(),
            contact_hours: "平日 9時〜17時".to_string(),
        },
        addressee: Addressee {
            name: MEMBER.to_string(),
            postcode: "150-0002".to_string(),
            address: "東京都渋谷区渋谷2-24-12 渋谷ビル5階".to_string(),
        },
        program,
        contract_number: contract_number(serial),
        survey_url: None,
    }
}

fn ym(year: i16, month: i8) -> YearMonth {
    YearMonth::new(year, month).expect("month")
}

/// A past year, fully paid: twelve debits of 30,000 yen, one month covered by 前納.
pub fn certificate(serial: u32) -> DeductionCertificate {
    let months: Vec<MonthlyPremium> = (1..=12)
        .map(|m| MonthlyPremium {
            month: ym(2025, m),
            amount: Yen::new(30_000),
        })
        .collect();
    DeductionCertificate {
        head: head(
            Program::SmallEnterprise,
            serial,
            &format!("C2025-{serial:07}"),
            date(2026, 1, 15),
        ),
        year: 2025,
        monthly_premium: Yen::new(30_000),
        months,
        paid_total: Yen::new(360_000),
        prepayment_applied: Yen::new(30_000),
        prepayment_discount: Yen::new(1_215),
        deductible: Some(Yen::new(358_785)),
        year_to_date: None,
    }
}

/// The current year, paid to October, two debits still to come, and a "****" 控除額.
pub fn current_year_certificate() -> DeductionCertificate {
    let months: Vec<MonthlyPremium> = (1..=10)
        .map(|m| MonthlyPremium {
            month: ym(2026, m),
            amount: Yen::new(70_000),
        })
        .collect();
    DeductionCertificate {
        head: head(
            Program::SmallEnterprise,
            1_234_567,
            "C2026-1234567",
            date(2026, 11, 28),
        ),
        year: 2026,
        monthly_premium: Yen::new(70_000),
        months,
        paid_total: Yen::new(700_000),
        prepayment_applied: Yen::ZERO,
        prepayment_discount: Yen::ZERO,
        deductible: None,
        year_to_date: Some(YearToDate {
            as_of: date(2026, 11, 28),
            paid_so_far: Yen::new(700_000),
            expected_by_december: Yen::new(140_000),
        }),
    }
}

pub fn contract_certificate() -> ContractCertificate {
    ContractCertificate {
        head: head(
            Program::SafetyNet,
            7_654_321,
            "K2026-0000042",
            date(2026, 4, 20),
        ),
        contract_date: date(2026, 4, 1),
        first_premium_month: ym(2026, 4),
        monthly_premium: Yen::new(200_000),
        payment_frequency: PaymentFrequency::Monthly,
        debit_account: "みずほ銀行 渋谷支店 普通 ****567".to_string(),
        registered_institution: Some("東京商工会議所".to_string()),
    }
}

pub fn contract_details() -> ContractDetailsNotice {
    ContractDetailsNotice {
        head: head(
            Program::SmallEnterprise,
            1_234_567,
            "D2026-0000007",
            date(2026, 6, 3),
        ),
        change: "掛金月額の変更".to_string(),
        effective_from: date(2026, 7, 1),
        changes: vec![ChangedItem {
            item: "掛金月額".to_string(),
            before: ChangeValue::Amount(Yen::new(30_000)),
            after: ChangeValue::Amount(Yen::new(45_500)),
        }],
        contract_date: date(2015, 4, 1),
        monthly_premium: Yen::new(45_500),
        payment_frequency: PaymentFrequency::Monthly,
        months_paid: 134,
        debit_account: "三井住友銀行 新宿支店 普通 ****321".to_string(),
    }
}

pub fn payment_status() -> PaymentStatusNotice {
    PaymentStatusNotice {
        head: head(Program::SafetyNet, 7_654_321, "S2026-0000099", date(2026, 3, 10)),
        as_of: date(2026, 2, 28),
        monthly_premium: Yen::new(200_000),
        months_paid: 23,
        total_paid: Yen::new(4_600_000),
        months_unpaid: 0,
        months_prepaid: 0,
        loan_limit: Some(Yen::new(46_000_000)),
        notes: vec![
            "令和6年10月1日以後に解約し、解約の日から2年以内に再加入した場合、再加入後2年間に払い込んだ掛金は損金または必要経費に算入できません（租税特別措置法第66条の11）。"
                .to_string(),
        ],
    }
}

pub fn cancellation_notice() -> CancellationNotice {
    CancellationNotice {
        head: head(
            Program::SmallEnterprise,
            2_345_678,
            "T2026-0000013",
            date(2026, 9, 18),
        ),
        kind: "機構解除".to_string(),
        cancelled_on: date(2026, 9, 15),
        reason: "掛金の未納が12か月以上となったため".to_string(),
        months_paid: 84,
        total_paid: Yen::new(1_260_000),
        refund: Some((Yen::new(1_071_000), date(2026, 10, 20))),
    }
}

pub fn payout_decision() -> PayoutDecisionNotice {
    let instalment = Yen::new(101_250);
    let first = date(2027, 1, 15);
    let schedule = [
        (first, instalment),
        (date(2027, 3, 15), instalment),
        (date(2027, 5, 17), instalment),
        (date(2027, 7, 15), instalment),
    ]
    .into_iter()
    .map(|(date, amount)| ScheduledPayment { date, amount })
    .collect();
    PayoutDecisionNotice {
        head: head(
            Program::SmallEnterprise,
            3_456_789,
            "P2026-0000321",
            date(2026, 12, 10),
        ),
        kind: PayoutKind::BenefitInstalment,
        reason: "廃業（個人事業の廃止）".to_string(),
        decided_on: date(2026, 12, 10),
        gross: Yen::new(450_000),
        deductions: vec![
            Deduction {
                label: "未返済の契約者貸付金".to_string(),
                amount: Yen::new(30_000),
            },
            Deduction {
                label: "未納掛金".to_string(),
                amount: Yen::new(15_000),
            },
        ],
        net: Yen::new(405_000),
        payment_date: first,
        account: "ゆうちょ銀行 〇一八支店 普通 ****890".to_string(),
        schedule,
    }
}
