//! Writes valid example files (a 総合振込 file with and without line breaks) into a directory, as
//! the starting corpus of the transfer-file fuzz target: `scripts/fuzz.sh` runs it. The 91 files
//! need no generator: the golden request files of the billing tests are the seeds.
//!
//! `cargo run --example fuzz_seeds -- DIR`

use kyosai_zengin::debit::{DebitDate, LineEnding, NewCode, WriteOptions};
use kyosai_zengin::transfer::{
    TransferAccountType, TransferCategory, TransferHeader, TransferRecord, write_transfer_file,
};
use kyosai_zengin::{Digits, ZenginText};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: fuzz_seeds DIR (the transfer corpus directory)")?;
    std::fs::create_dir_all(&dir)?;
    let header = TransferHeader {
        originator_code: Digits::new("1234567890")?,
        originator_name: ZenginText::new("ｷﾖｳｻｲｷｷﾝ")?,
        transfer_date: DebitDate::new(4, 27)?,
        bank_code: Digits::new("0005")?,
        bank_name: ZenginText::new("ﾐﾂﾋﾞｼUFJ")?,
        branch_code: Digits::new("001")?,
        branch_name: ZenginText::new("ﾎﾝﾃﾝ")?,
        account_type: TransferAccountType::Ordinary,
        account_number: Digits::new("0123456")?,
    };
    let payee = |i: u64| -> Result<TransferRecord, Box<dyn std::error::Error>> {
        Ok(TransferRecord {
            bank_code: Digits::new("9900")?,
            bank_name: ZenginText::new("ﾕｳﾁﾖ")?,
            branch_code: Digits::new("019")?,
            branch_name: ZenginText::new("ｾﾞﾛｲﾁｷﾕｳ")?,
            clearing_house: None,
            account_type: TransferAccountType::Ordinary,
            account_number: Digits::new("7654321")?,
            payee_name: ZenginText::new("ﾔﾏﾀﾞ ﾀﾛｳ")?,
            amount: 1000 * i as i64,
            new_code: NewCode::Other,
            customer_code1: Some(Digits::from_u64(i)?),
            customer_code2: None,
            category: Some(TransferCategory::Telegraphic),
        })
    };
    let records = (1..=3).map(payee).collect::<Result<Vec<_>, _>>()?;
    for (name, line_ending) in [
        ("crlf.dat", LineEnding::Crlf),
        ("flat.dat", LineEnding::None),
    ] {
        let bytes = write_transfer_file(&header, &records, &WriteOptions { line_ending })?;
        std::fs::write(std::path::Path::new(&dir).join(name), bytes)?;
    }
    Ok(())
}
