//! `kyosai billing prepayment-discount`: 前納減額金 of a fiscal year on its March-end position,
//! and its June payout (Zengin 総合振込 files).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use kyosai_app::{App, AppError, Clock};
use kyosai_domain::Yen;

use crate::config::Storage;

#[derive(Args)]
pub struct PrepaymentArgs {
    /// Fiscal year (April YYYY – March YYYY+1); computed from March 31 of YYYY+1.
    #[arg(long)]
    fiscal_year: i16,
    /// Pay the payable amounts (from June of YYYY+1) instead of computing.
    #[arg(long)]
    pay: bool,
    /// Directory for the transfer files (with --pay).
    #[arg(long, required_if_eq("pay", "true"))]
    out: Option<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(a: PrepaymentArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let fy = a.fiscal_year;
    if a.pay {
        let Some(out) = a.out.as_deref() else {
            bail!("--pay には --out（振込ファイルの出力先）が必要です");
        };
        let p = app
            .pay_prepayment_discounts(fy, out, "cli")
            .await
            .map_err(plain)?;
        println!(
            "{fy}年度 前納減額金の支払い（振込指定日 {}）: {}件 {}を支払予定にしました",
            p.transfer_date,
            p.scheduled_count,
            Yen::new(p.scheduled_yen)
        );
        println!(
            "  振込処理: {}件 {}を支払いました",
            p.run.paid_count,
            Yen::new(p.run.paid_yen)
        );
        for f in &p.run.files {
            println!("  {}  sha256 {}", f.path.display(), f.sha256);
        }
        for (contract, reason) in &p.exceptions {
            println!("  要確認 共済契約者番号 {contract}: {reason}（保留中）");
        }
    } else {
        let s = app
            .compute_prepayment_discounts(fy, "cli")
            .await
            .map_err(plain)?;
        println!(
            "{fy}年度 前納減額金（3月末）: 新たに計算 {}件（計算済み {}件）",
            s.computed, s.already
        );
        println!(
            "  6月に支払う: {}件 {}",
            s.payable_count,
            Yen::new(s.payable_yen)
        );
        println!(
            "  支払の最低額に満たないため翌年度へ繰越: {}件 {}",
            s.carried_count,
            Yen::new(s.carried_yen)
        );
    }
    app.close().await;
    Ok(())
}

/// A refusal is told in its Japanese message (not only its code).
fn plain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Conflict { message, .. } => anyhow::anyhow!(message),
        other => other.into(),
    }
}
