//! What a contract owes in a billing month (REFERENCE §2.1–§2.7; issue #4).
//!
//! Pure: the caller passes the contract's facts (premium history, frequency, prepaid months,
//! suspension, what the ledger says was paid and what is still unpaid) and the rule set in
//! force; [`due_for_month`] answers with a bill plan or the reason nothing is billed. Every
//! number (debit cycle, re-debit months, accumulation cap, termination threshold) comes from the
//! rule set.

use serde::Serialize;

use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::program::Program;
use crate::rules::{DebitCycle, PaymentFrequency, RuleSet};

/// A premium month still unpaid, and the month of the last debit of it that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnpaidMonth {
    pub month: YearMonth,
    pub amount: Yen,
    pub last_failed_debit: YearMonth,
}

/// The facts about one contract that decide its bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    pub program: Program,
    /// The monthly premium the contract started with.
    pub base_premium: Yen,
    /// 掛金月額変更: (effective month, new monthly premium), any order.
    pub premium_changes: Vec<(YearMonth, Yen)>,
    /// The payment frequency the contract started with; its semi-annual or annual debits fall in
    /// the month of the first debit.
    pub frequency: PaymentFrequency,
    pub first_debit_month: YearMonth,
    /// 払込区分の変更 since (any order): each applies from its month on.
    pub frequency_changes: Vec<FrequencyChange>,
    /// 前納: months up to and including this one are already paid.
    pub prepaid_until: Option<YearMonth>,
    /// 掛止め from this month on.
    pub suspended_from: Option<YearMonth>,
    /// 掛金の納付期限の延長 (a disaster special measure): premiums deferred and caught up later.
    pub deferral: Option<Deferral>,
    /// 掛金総額: premiums collected so far (opening balance + collected debits).
    pub total_paid: Yen,
    /// Billed and not yet answered by a result file (counts towards the cap).
    pub pending: Yen,
    /// Unpaid premium months (arrears), oldest first.
    pub unpaid: Vec<UnpaidMonth>,
    /// Premium changes that apply to months already billed at the previous amount.
    pub late_settlements: Vec<LateSettlement>,
}

/// 掛金の納付期限の延長 under a disaster special measure: the premiums of `from..=until` are not
/// debited in their months; from the month after `until` each debit also collects
/// `extra_per_debit` of them, oldest first, until all are paid (REFERENCE §2.6; the 2011 and
/// 2020 measures' 「延長期間終了後は毎月2か月分ずつ」).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferral {
    pub from: YearMonth,
    pub until: YearMonth,
    /// Deferred months collected with each debit after the deferral (1: two months a debit).
    pub extra_per_debit: u32,
}

impl Deferral {
    /// The deferred months collected with the debit of `month`.
    pub fn caught_up_in(&self, month: YearMonth) -> impl Iterator<Item = YearMonth> + '_ {
        let n = self.from.months_until(self.until) + 1;
        let per = self.extra_per_debit.max(1) as i32;
        let k = self.until.months_until(month) - 1;
        (0..per)
            .map(move |j| k * per + j)
            .filter(move |i| k >= 0 && *i < n)
            .map(|i| self.from.plus(i))
    }

    /// The month whose debit collects the last deferred month.
    pub fn caught_up_by(&self) -> YearMonth {
        let n = self.from.months_until(self.until) + 1;
        let per = self.extra_per_debit.max(1) as i32;
        self.until.plus((n + per - 1) / per)
    }

    /// Whether `month` is in the deferral itself (nothing is debited).
    pub fn defers(&self, month: YearMonth) -> bool {
        self.from <= month && month <= self.until
    }
}

/// A premium change that applies from `from` although the months `from..effective` are billed
/// at the `previous` premium (REFERENCE §2.4): an increase bills the difference of those months
/// with the debit of `effective`; a decrease credits the excess against the premiums from
/// `effective` on until it is used up (billing resumes then). Which changes settle late, and
/// how, is the procedure's decision by the rule set; billing only carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateSettlement {
    /// The first month owed at the new premium.
    pub from: YearMonth,
    /// The first month billed at the new premium (the change's effective month).
    pub effective: YearMonth,
    pub previous: Yen,
    pub premium: Yen,
}

/// When a premium change is billed: from `effective_month` on, and (when set) owed at the new
/// amount from `late_from` although the months before `effective_month` are billed at the
/// previous one. Made by each program's rule ([`crate::safety_net::premium_change::plan`],
/// [`crate::small_enterprise::premium_change::plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangePlan {
    pub effective_month: YearMonth,
    pub late_from: Option<YearMonth>,
}

impl ChangePlan {
    /// The plan for a contract first debited in `first_debit_month`: nothing is billed before
    /// it, so a change is billed from it at the earliest and settles no month before it.
    pub fn not_before(self, first_debit_month: YearMonth) -> ChangePlan {
        let effective_month = self.effective_month.max(first_debit_month);
        ChangePlan {
            effective_month,
            late_from: self
                .late_from
                .map(|m| m.max(first_debit_month))
                .filter(|m| *m < effective_month),
        }
    }

    /// The plan for a 半年払/年払 payer (小規模): a month that a debit already made covers was
    /// paid at the old premium for the whole period, so the change starts with the next
    /// period (`first_uncovered_month`) — no month is paid at two amounts, and no difference or
    /// credit is owed for a period paid in advance. A monthly payer's plan is unchanged.
    pub fn after_paid_period(self, facts: &ContractFacts) -> ChangePlan {
        let start = facts.first_uncovered_month(self.effective_month);
        if start == self.effective_month {
            self
        } else {
            ChangePlan {
                effective_month: start,
                late_from: None,
            }
        }
    }

    /// What billing settles for this change from `previous` to `premium`, if anything.
    pub fn settlement(self, previous: Yen, premium: Yen) -> Option<LateSettlement> {
        self.late_from.map(|from| LateSettlement {
            from,
            effective: self.effective_month,
            previous,
            premium,
        })
    }
}

impl LateSettlement {
    /// The months owed at the new premium but billed at the previous one.
    fn late_months(&self) -> impl Iterator<Item = YearMonth> + '_ {
        (0..self.from.months_until(self.effective).max(0)).map(|k| self.from.plus(k))
    }

    /// An increase's difference items, billed with the debit of `effective`.
    pub fn differences(&self) -> Vec<BillItem> {
        let diff = self.premium.get() - self.previous.get();
        if diff <= 0 {
            return Vec::new();
        }
        self.late_months()
            .map(|m| BillItem {
                month: m,
                amount: Yen::new(diff),
                arrears: false,
                kind: ItemKind::Difference,
            })
            .collect()
    }

    /// A decrease's credit: the excess paid for the late months (zero for an increase).
    pub fn credit(&self) -> Yen {
        let excess = self.previous.get() - self.premium.get();
        Yen::new(excess.max(0) * self.late_months().count() as i64)
    }
}

/// A 払込区分の変更 (REFERENCE §2.5): from `from` on the contract pays at `frequency`, and a
/// semi-annual or annual payer is debited in the designated month (指定納付月) it chose — a
/// semi-annual one also six months later — instead of in the month of its first debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FrequencyChange {
    pub from: YearMonth,
    pub frequency: PaymentFrequency,
    /// 1–12; None for monthly payers.
    pub designated_month: Option<i8>,
}

impl ContractFacts {
    /// The schedule in force for `month`: the frequency, the month of the year its debits fall
    /// in, and the month it applies from.
    pub fn schedule_for(&self, month: YearMonth) -> (PaymentFrequency, i8, YearMonth) {
        self.frequency_changes
            .iter()
            .filter(|c| c.from <= month)
            .max_by_key(|c| c.from)
            .map_or(
                (
                    self.frequency,
                    self.first_debit_month.month(),
                    self.first_debit_month,
                ),
                |c| {
                    (
                        c.frequency,
                        c.designated_month.unwrap_or(c.from.month()),
                        c.from,
                    )
                },
            )
    }

    /// How many premium months a debit in `month` covers, or None when nothing is debited
    /// then by the payment frequency.
    ///
    /// Semi-annual and annual payers are debited in the designated month (and, semi-annually,
    /// six months later) for that many months ahead. The months between the start of a new
    /// frequency and its first designated month are debited one by one, so no month is left
    /// out; and a period never runs past the start of a later change.
    pub fn debit_span(&self, month: YearMonth) -> Option<i32> {
        if month < self.first_debit_month {
            return None;
        }
        let (frequency, designated, from) = self.schedule_for(month);
        let n = frequency.months_per_debit();
        if n == 1 {
            return Some(1);
        }
        let is_designated =
            |m: YearMonth| i32::from(m.month() - designated).rem_euclid(12) % n == 0;
        let first = (0..n)
            .map(|k| from.plus(k))
            .find(|m| is_designated(*m))
            .unwrap_or(from);
        if month < first {
            return Some(1);
        }
        if !is_designated(month) {
            return None;
        }
        let next_change = self
            .frequency_changes
            .iter()
            .map(|c| c.from)
            .filter(|f| *f > month)
            .min();
        Some(next_change.map_or(n, |f| n.min(month.months_until(f))))
    }

    /// The first month from `earliest` on that no earlier debit covers: a new payment
    /// frequency starts there, so a semi-annual or annual period already running is never paid
    /// twice (REFERENCE §2.5).
    pub fn first_uncovered_month(&self, earliest: YearMonth) -> YearMonth {
        let covered = |m: YearMonth| {
            (1..12).any(|back| self.debit_span(m.plus(-back)).is_some_and(|n| n > back))
        };
        (0..12)
            .map(|k| earliest.plus(k))
            .find(|m| !covered(*m))
            .unwrap_or(earliest.plus(12))
    }

    /// The monthly premium in force for `month`: the latest change effective on or before it.
    pub fn premium_for(&self, month: YearMonth) -> Yen {
        self.premium_changes
            .iter()
            .filter(|(m, _)| *m <= month)
            .max_by_key(|(m, _)| *m)
            .map_or(self.base_premium, |(_, p)| *p)
    }
}

/// Where a month's billing run of one program stands; a run resumes from its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RunStatus {
    /// Bill lines are being made, chunk by chunk.
    Billing,
    /// Every line is made; the request files are being written.
    WritingFiles,
    Completed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 3] = [
        RunStatus::Billing,
        RunStatus::WritingFiles,
        RunStatus::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Billing => "billing",
            RunStatus::WritingFiles => "writing_files",
            RunStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Why nothing is billed for a contract this month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// The first debit month is later.
    NotStarted,
    /// Semi-annual or annual payer: no debit this month, and no arrears to re-bill now.
    NotDueThisMonth,
    /// Every month due is covered by 前納.
    Prepaid,
    /// 掛止め.
    Suspended,
    /// 倒産防止: 掛金総額 reached the accumulation cap; billing has stopped.
    CapReached,
    /// Unpaid months reached the termination threshold: the arrears are due by 納付書, not by
    /// direct debit, and nothing else is due this month (REFERENCE §2.7).
    TerminationCandidate,
    /// 倒産防止: the credit of a late premium decrease covers the whole month (REFERENCE §2.4).
    Credited,
    /// 掛金の納付期限の延長: the month's premium is deferred (a disaster special measure).
    Deferred,
}

impl Skip {
    pub const ALL: [Skip; 8] = [
        Skip::NotStarted,
        Skip::NotDueThisMonth,
        Skip::Prepaid,
        Skip::Suspended,
        Skip::CapReached,
        Skip::TerminationCandidate,
        Skip::Credited,
        Skip::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::NotStarted => "not_started",
            Skip::NotDueThisMonth => "not_due_this_month",
            Skip::Prepaid => "prepaid",
            Skip::Suspended => "suspended",
            Skip::CapReached => "cap_reached",
            Skip::TerminationCandidate => "termination_candidate",
            Skip::Credited => "credited",
            Skip::Deferred => "deferred",
        }
    }

    /// What a member reads about a month with no debit.
    pub fn explanation_ja(self) -> &'static str {
        match self {
            Skip::NotStarted => "まだ最初の引落月になっていないため、今月の引落しはありません。",
            Skip::NotDueThisMonth => "払込区分（半年払・年払）により、今月の引落しはありません。",
            Skip::Prepaid => "前納により払込済みのため、今月の引落しはありません。",
            Skip::Suspended => "掛止め中のため、今月の引落しはありません。",
            Skip::CapReached => {
                "掛金総額が積立限度額に達したため、掛金の請求を停止しました（『掛金積立て限度のお知らせ』をお送りします）。"
            }
            Skip::TerminationCandidate => {
                "未納が12か月分以上となったため、未納の掛金は口座振替ができません。お送りした納付書で、期限までに金融機関またはコンビニエンスストアでお支払いください。"
            }
            Skip::Credited => {
                "掛金月額の減額前に多く納付された掛金を充当するため、今月の引落しはありません。"
            }
            Skip::Deferred => {
                "災害の特例措置により掛金の納付期限を延長しているため、今月の引落しはありません。延長した月の掛金は、延長期間のあと毎月の掛金とあわせて引き落とします。"
            }
        }
    }
}

/// What a bill item pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ItemKind {
    /// The premium of `month`.
    #[default]
    Premium,
    /// A premium increase that applied to `month` after `month` was billed at the previous
    /// amount: the difference, billed later (倒産防止 late increase, 小規模 翌々月 back-difference;
    /// REFERENCE §2.4).
    Difference,
    /// A negative amount: the excess paid for `month` before a late decrease, applied against
    /// this bill (倒産防止, REFERENCE §2.4).
    Credit,
}

/// One premium month paid by a debit (or an adjustment of one, see [`ItemKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillItem {
    pub month: YearMonth,
    pub amount: Yen,
    /// True for a re-billed unpaid month.
    pub arrears: bool,
    pub kind: ItemKind,
}

/// What to debit from a contract this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillPlan {
    pub month: YearMonth,
    /// This month's premium months first, then re-billed arrears (oldest first).
    pub items: Vec<BillItem>,
    pub premium_amount: Yen,
    pub arrears_amount: Yen,
    pub total: Yen,
    /// The monthly premium in force this month (snapshot).
    pub monthly_premium: Yen,
    /// 倒産防止: this bill brings 掛金総額 to the accumulation cap (the member is told).
    pub reaches_cap: bool,
    /// The contract's first debit (新規コード 1).
    pub first_debit: bool,
}

impl BillPlan {
    /// Premium months paid by this bill (adjustments of earlier months are no months).
    pub fn months_covered(&self) -> i64 {
        self.items
            .iter()
            .filter(|i| !i.arrears && i.kind == ItemKind::Premium)
            .count() as i64
    }

    pub fn arrears_months(&self) -> i64 {
        self.items
            .iter()
            .filter(|i| i.arrears && i.kind == ItemKind::Premium)
            .count() as i64
    }

    /// Items as stored with a bill line: `YYYY-MM=yen` joined by `;`, arrears marked `*`.
    pub fn items_text(&self) -> String {
        encode_items(&self.items)
    }
}

/// Encodes bill items as stored (`2026-08=10000;*2026-06=10000`); a difference is marked `+`
/// and a credit `~` (`+2026-07=5000`, `~2026-07=-5000`).
pub fn encode_items(items: &[BillItem]) -> String {
    let mut s = String::with_capacity(items.len() * 16);
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        if it.arrears {
            s.push('*');
        }
        match it.kind {
            ItemKind::Premium => {}
            ItemKind::Difference => s.push('+'),
            ItemKind::Credit => s.push('~'),
        }
        s.push_str(&it.month.to_string());
        s.push('=');
        s.push_str(&it.amount.get().to_string());
    }
    s
}

/// Decodes [`encode_items`]; None when the text is malformed.
pub fn decode_items(text: &str) -> Option<Vec<BillItem>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|part| {
            let (arrears, rest) = match part.strip_prefix('*') {
                Some(r) => (true, r),
                None => (false, part),
            };
            let (kind, rest) = if let Some(r) = rest.strip_prefix('+') {
                (ItemKind::Difference, r)
            } else if let Some(r) = rest.strip_prefix('~') {
                (ItemKind::Credit, r)
            } else {
                (ItemKind::Premium, rest)
            };
            let (m, a) = rest.split_once('=')?;
            Some(BillItem {
                month: m.parse().ok()?,
                amount: Yen::new(a.parse().ok()?),
                arrears,
                kind,
            })
        })
        .collect()
}

/// Decision for one contract and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Due {
    Bill(BillPlan),
    Nothing { reason: Skip },
}

/// The first month in which an unpaid premium whose debit failed in `failed` may be debited
/// again, by the rule set's collection cycle (REFERENCE §2.7).
///
/// Renewed cycle: the next month. Legacy cycle (小規模): the first month listed in the arrears
/// rule's re-debit months (even months) at least `redebit_after_months` after the failed debit —
/// June fails → August; July fails → October. 倒産防止 publishes no legacy re-debit rule
/// (REFERENCE §2.7: UNKNOWN), so it re-debits the next month under both cycles.
pub fn redebit_month(rules: &RuleSet, failed: YearMonth) -> YearMonth {
    let next = failed.plus(1);
    if rules.collection.cycle.value == DebitCycle::Renewed {
        return next;
    }
    let Some(arrears) = rules.small_enterprise.as_ref().map(|s| &s.arrears) else {
        return next;
    };
    let earliest = failed.plus(arrears.redebit_after_months.value as i32);
    (0..12)
        .map(|k| earliest.plus(k))
        .find(|m| arrears.redebit_months.value.contains(&m.month()))
        .unwrap_or(earliest)
}

/// Unpaid months from which the arrears are due by 納付書 instead of direct debit, and
/// 機構解約/解除 follows if the slip is not paid by its deadline.
pub fn termination_threshold(rules: &RuleSet) -> Option<u32> {
    match (&rules.small_enterprise, &rules.safety_net) {
        (Some(se), _) => Some(se.arrears.termination_unpaid_months.value),
        (None, Some(sn)) => Some(sn.termination_unpaid_months.value),
        (None, None) => None,
    }
}

/// What `facts` owes in `month` under `rules` (the rule set in force for the month).
pub fn due_for_month(rules: &RuleSet, facts: &ContractFacts, month: YearMonth) -> Due {
    let nothing = |reason| Due::Nothing { reason };
    if month < facts.first_debit_month {
        return nothing(Skip::NotStarted);
    }
    if facts.suspended_from.is_some_and(|s| s <= month) {
        return nothing(Skip::Suspended);
    }
    if facts.deferral.is_some_and(|d| d.defers(month)) {
        return nothing(Skip::Deferred);
    }
    // REFERENCE §2.7: from the threshold on, the arrears are no longer debited; they are due by
    // 納付書 ([`crate::arrears`]). Premiums falling due meanwhile are still debited as usual:
    // stopping them as well would leave them unbilled once the slip is paid. Any that fail
    // join the arrears and are re-billed by the cycle after the slip is paid.
    let arrears_by_slip =
        termination_threshold(rules).is_some_and(|limit| facts.unpaid.len() >= limit as usize);
    let cap = rules.premium.accumulation_cap_yen.as_ref().map(|c| c.value);
    let mut room =
        cap.map(|c| Yen::new((c.get() - facts.total_paid.get() - facts.pending.get()).max(0)));
    if room == Some(Yen::ZERO) {
        return nothing(Skip::CapReached);
    }

    let mut items = Vec::new();
    let mut prepaid_only = false;
    if let Some(n) = facts.debit_span(month) {
        for k in 0..n {
            let m = month.plus(k);
            if facts.prepaid_until.is_some_and(|p| m <= p) {
                prepaid_only = true;
                continue;
            }
            items.push(BillItem {
                month: m,
                amount: facts.premium_for(m),
                arrears: false,
                kind: ItemKind::Premium,
            });
        }
        for s in &facts.late_settlements {
            if s.effective == month {
                items.extend(s.differences());
            }
        }
        if let Some(d) = &facts.deferral {
            items.extend(d.caught_up_in(month).map(|m| BillItem {
                month: m,
                amount: facts.premium_for(m),
                arrears: false,
                kind: ItemKind::Premium,
            }));
        }
        apply_credits(facts, &mut items);
    }
    for u in &facts.unpaid {
        if !arrears_by_slip && u.month < month && redebit_month(rules, u.last_failed_debit) <= month
        {
            items.push(BillItem {
                month: u.month,
                amount: u.amount,
                arrears: true,
                kind: ItemKind::Premium,
            });
        }
    }
    // Arrears first when the cap leaves room for only part of what is due.
    if let Some(r) = room.as_mut() {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| (!items[i].arrears, items[i].month));
        let mut keep = vec![Yen::ZERO; items.len()];
        for i in order {
            if items[i].kind == ItemKind::Credit {
                // A credit lowers the debit; it takes no room under the cap.
                keep[i] = items[i].amount;
                continue;
            }
            let take = items[i].amount.min(*r);
            keep[i] = take;
            *r = Yen::new(r.get() - take.get());
        }
        for (it, k) in items.iter_mut().zip(keep) {
            it.amount = k;
        }
        items.retain(|it| it.amount != Yen::ZERO);
    }
    if items.is_empty() {
        return nothing(if prepaid_only {
            Skip::Prepaid
        } else if arrears_by_slip {
            Skip::TerminationCandidate
        } else {
            Skip::NotDueThisMonth
        });
    }
    if items.iter().map(|i| i.amount.get()).sum::<i64>() <= 0 {
        return nothing(Skip::Credited);
    }
    let sum = |arrears: bool| {
        Yen::new(
            items
                .iter()
                .filter(|i| i.arrears == arrears)
                .map(|i| i.amount.get())
                .sum(),
        )
    };
    let premium_amount = sum(false);
    let arrears_amount = sum(true);
    Due::Bill(BillPlan {
        month,
        premium_amount,
        arrears_amount,
        total: Yen::new(premium_amount.get() + arrears_amount.get()),
        monthly_premium: facts.premium_for(month),
        reaches_cap: room == Some(Yen::ZERO),
        first_debit: month == facts.first_debit_month,
        items,
    })
}

/// Applies each late decrease's credit against this bill's premium items: a month from the
/// change's effective month on is covered by what is left of the credit after the months
/// before it (at their premiums), so each month's share follows from the facts alone and a
/// re-run bills the same.
fn apply_credits(facts: &ContractFacts, items: &mut Vec<BillItem>) {
    let mut credits = Vec::new();
    for s in &facts.late_settlements {
        let credit = s.credit().get();
        if credit == 0 {
            continue;
        }
        for it in items
            .iter()
            .filter(|i| i.kind == ItemKind::Premium && !i.arrears)
        {
            if it.month < s.effective {
                continue;
            }
            let used_before: i64 = (0..s.effective.months_until(it.month))
                .map(|k| facts.premium_for(s.effective.plus(k)).get())
                .sum();
            let share = it.amount.get().min(credit - used_before.min(credit));
            if share > 0 {
                credits.push(BillItem {
                    month: s.from,
                    amount: Yen::new(-share),
                    arrears: false,
                    kind: ItemKind::Credit,
                });
            }
        }
    }
    items.extend(credits);
}

/// The ledger history of one bill line, as needed to derive paid totals and arrears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineHistory {
    /// The billing month of the line.
    pub month: YearMonth,
    pub items: Vec<BillItem>,
    pub amount: Yen,
    pub result: LineResult,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineResult {
    Pending,
    Collected,
    Failed,
}

/// Derived from the ledger: collected total, amount pending, and the unpaid months.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub collected: Yen,
    pub pending: Yen,
    pub unpaid: Vec<UnpaidMonth>,
}

/// What a failed debit of `plan` leaves unpaid: its months join `unpaid` (or, for re-billed
/// arrears, remember this latest failure), as [`standing`] would record a failed line.
pub fn fail_plan(unpaid: &mut Vec<UnpaidMonth>, plan: &BillPlan) {
    record_failure(unpaid, &plan.items, plan.month);
    unpaid.sort_by_key(|u| u.month);
}

/// The months of a debit that failed in `month` are unpaid; already unpaid ones failed again.
fn record_failure(unpaid: &mut Vec<UnpaidMonth>, items: &[BillItem], month: YearMonth) {
    // A credit is no debt: only premiums and differences become unpaid.
    for i in items.iter().filter(|i| i.kind != ItemKind::Credit) {
        match unpaid.iter_mut().find(|u| u.month == i.month) {
            Some(u) => u.last_failed_debit = month,
            None => unpaid.push(UnpaidMonth {
                month: i.month,
                amount: i.amount,
                last_failed_debit: month,
            }),
        }
    }
}

/// Whether `items` pay the premium of `month` (an adjustment of a month does not).
fn pays(items: &[BillItem], month: YearMonth) -> bool {
    items
        .iter()
        .any(|i| i.month == month && i.kind == ItemKind::Premium)
}

/// Replays bill lines (oldest first) into the contract's standing: a failed line makes its
/// months unpaid (remembering when they failed), a collected line pays them.
pub fn standing(lines: &[LineHistory]) -> Standing {
    let mut unpaid: Vec<UnpaidMonth> = Vec::new();
    let mut st = Standing::default();
    for l in lines {
        match l.result {
            LineResult::Pending => {
                // In flight: its months are neither unpaid nor paid until the result arrives.
                st.pending = Yen::new(st.pending.get() + l.amount.get());
                unpaid.retain(|u| !pays(&l.items, u.month));
            }
            LineResult::Collected => {
                st.collected = Yen::new(st.collected.get() + l.amount.get());
                unpaid.retain(|u| !pays(&l.items, u.month));
            }
            LineResult::Failed => record_failure(&mut unpaid, &l.items, l.month),
        }
    }
    unpaid.sort_by_key(|u| u.month);
    st.unpaid = unpaid;
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn se_rules(cycle: DebitCycle) -> RuleSet {
        let mut r = RuleBook::embedded()
            .unwrap()
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap()
            .clone();
        r.collection.cycle.value = cycle;
        r
    }

    fn sn_rules() -> RuleSet {
        RuleBook::embedded()
            .unwrap()
            .in_force(Program::SafetyNet, date(2026, 11, 1))
            .unwrap()
            .clone()
    }

    fn facts(program: Program, premium: i64) -> ContractFacts {
        ContractFacts {
            program,
            base_premium: Yen::new(premium),
            premium_changes: vec![],
            frequency: PaymentFrequency::Monthly,
            first_debit_month: ym("2026-01"),
            frequency_changes: vec![],
            prepaid_until: None,
            suspended_from: None,
            deferral: None,
            total_paid: Yen::ZERO,
            pending: Yen::ZERO,
            unpaid: vec![],
            late_settlements: vec![],
        }
    }

    fn bill(d: Due) -> BillPlan {
        match d {
            Due::Bill(b) => b,
            Due::Nothing { reason } => panic!("nothing due: {reason:?}"),
        }
    }

    fn months(b: &BillPlan) -> Vec<String> {
        let mut m: Vec<String> = b.items.iter().map(|i| i.month.to_string()).collect();
        m.sort();
        m
    }

    fn line(month: &str, items: &[&str], amount: i64, result: LineResult) -> LineHistory {
        LineHistory {
            month: ym(month),
            items: items
                .iter()
                .map(|m| BillItem {
                    month: ym(m),
                    amount: Yen::new(amount),
                    arrears: *m != month,
                    kind: ItemKind::Premium,
                })
                .collect(),
            amount: Yen::new(amount * items.len() as i64),
            result,
        }
    }

    #[test]
    fn monthly_premium_by_month_with_changes() {
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.premium_changes = vec![(ym("2026-09"), Yen::new(30_000))];
        assert_eq!(
            due_for_month(&r, &f, ym("2025-12")),
            Due::Nothing {
                reason: Skip::NotStarted
            }
        );
        let jan = bill(due_for_month(&r, &f, ym("2026-01")));
        assert!(jan.first_debit);
        assert_eq!(jan.total, Yen::new(10_000));
        let nov = bill(due_for_month(&r, &f, ym("2026-11")));
        assert_eq!(nov.total, Yen::new(30_000));
        assert!(!nov.first_debit);
    }

    #[test]
    fn semi_annual_and_annual_by_first_debit_month() {
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.frequency = PaymentFrequency::SemiAnnual;
        f.first_debit_month = ym("2026-02");
        let feb = bill(due_for_month(&r, &f, ym("2026-08")));
        assert_eq!(feb.total, Yen::new(60_000));
        assert_eq!(feb.months_covered(), 6);
        assert_eq!(
            due_for_month(&r, &f, ym("2026-09")),
            Due::Nothing {
                reason: Skip::NotDueThisMonth
            }
        );
        f.frequency = PaymentFrequency::Annual;
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2027-02"))).total,
            Yen::new(120_000)
        );
        assert!(matches!(
            due_for_month(&r, &f, ym("2026-08")),
            Due::Nothing { .. }
        ));
    }

    /// Review fix (issue #10): a semi-annual or annual payer is debited in the designated month
    /// chosen with a frequency change, not in the month of the first debit.
    #[test]
    fn designated_month_decides_semi_annual_and_annual_debits() {
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.first_debit_month = ym("2026-02");
        f.frequency_changes = vec![FrequencyChange {
            from: ym("2027-01"),
            frequency: PaymentFrequency::SemiAnnual,
            designated_month: Some(4),
        }];
        // Monthly until the change; then monthly bridging until the first designated month.
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2026-12"))).total,
            Yen::new(10_000)
        );
        for m in ["2027-01", "2027-02", "2027-03"] {
            assert_eq!(
                bill(due_for_month(&r, &f, ym(m))).months_covered(),
                1,
                "{m}"
            );
        }
        let apr = bill(due_for_month(&r, &f, ym("2027-04")));
        assert_eq!(months(&apr).first().map(String::as_str), Some("2027-04"));
        assert_eq!(apr.total, Yen::new(60_000));
        for m in ["2027-05", "2027-08", "2027-09", "2027-11"] {
            assert_eq!(
                due_for_month(&r, &f, ym(m)),
                Due::Nothing {
                    reason: Skip::NotDueThisMonth
                },
                "{m}"
            );
        }
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2027-10"))).months_covered(),
            6
        );
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2028-04"))).months_covered(),
            6
        );
        // Annual in December: one debit a year for the twelve months from December.
        f.frequency_changes[0].frequency = PaymentFrequency::Annual;
        f.frequency_changes[0].designated_month = Some(12);
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2027-11"))).months_covered(),
            1
        );
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2027-12"))).total,
            Yen::new(120_000)
        );
        assert!(matches!(
            due_for_month(&r, &f, ym("2028-06")),
            Due::Nothing { .. }
        ));
    }

    #[test]
    fn a_new_frequency_starts_after_the_running_period() {
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.frequency = PaymentFrequency::Annual;
        f.first_debit_month = ym("2026-04");
        // The annual debit of April 2026 covers April 2026 – March 2027.
        assert_eq!(f.first_uncovered_month(ym("2026-06")), ym("2027-04"));
        assert_eq!(f.first_uncovered_month(ym("2027-04")), ym("2027-04"));
        f.frequency = PaymentFrequency::Monthly;
        assert_eq!(f.first_uncovered_month(ym("2026-06")), ym("2026-06"));
        // A period ends where a later change starts.
        f.frequency_changes = vec![FrequencyChange {
            from: ym("2026-10"),
            frequency: PaymentFrequency::SemiAnnual,
            designated_month: Some(10),
        }];
        assert_eq!(f.debit_span(ym("2026-10")), Some(6));
        assert_eq!(f.first_uncovered_month(ym("2026-11")), ym("2027-04"));
    }

    #[test]
    fn prepaid_and_suspended_months_are_not_billed() {
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.prepaid_until = Some(ym("2026-12"));
        assert_eq!(
            due_for_month(&r, &f, ym("2026-12")),
            Due::Nothing {
                reason: Skip::Prepaid
            }
        );
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2027-01"))).total,
            Yen::new(10_000)
        );
        // A semi-annual period partly prepaid bills only the rest.
        f.frequency = PaymentFrequency::SemiAnnual;
        f.first_debit_month = ym("2026-10");
        let b = bill(due_for_month(&r, &f, ym("2026-10")));
        // October–December are prepaid: January–March remain.
        assert_eq!(b.months_covered(), 3);
        assert_eq!(b.total, Yen::new(30_000));
        let sn = sn_rules();
        let mut s = facts(Program::SafetyNet, 50_000);
        s.suspended_from = Some(ym("2026-06"));
        assert_eq!(
            due_for_month(&sn, &s, ym("2026-06")),
            Due::Nothing {
                reason: Skip::Suspended
            }
        );
        assert!(matches!(
            due_for_month(&sn, &s, ym("2026-05")),
            Due::Bill(_)
        ));
    }

    #[test]
    fn a_change_inside_a_paid_semi_annual_period_starts_with_the_next_period() {
        // Semi-annual from November 2026 (designated month 11): November's debit covers
        // November–April. A change planned for January starts in May, without a back
        // difference; a monthly payer's plan is kept.
        let mut f = facts(Program::SmallEnterprise, 30_000);
        f.first_debit_month = ym("2026-11");
        f.frequency = PaymentFrequency::SemiAnnual;
        let plan = ChangePlan {
            effective_month: ym("2027-01"),
            late_from: Some(ym("2026-11")),
        };
        assert_eq!(
            plan.after_paid_period(&f),
            ChangePlan {
                effective_month: ym("2027-05"),
                late_from: None
            }
        );
        let at_start = ChangePlan {
            effective_month: ym("2027-05"),
            late_from: None,
        };
        assert_eq!(at_start.after_paid_period(&f), at_start);
        f.frequency = PaymentFrequency::Monthly;
        assert_eq!(plan.after_paid_period(&f), plan);
    }

    #[test]
    fn deferred_premiums_are_caught_up_two_months_a_debit() {
        // March–May deferred: nothing debited then; June collects June and March, July July
        // and April, August August and May, September only September.
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        let d = Deferral {
            from: ym("2026-03"),
            until: ym("2026-05"),
            extra_per_debit: 1,
        };
        f.deferral = Some(d);
        assert!(matches!(
            due_for_month(&r, &f, ym("2026-02")),
            Due::Bill(b) if months(&b) == ["2026-02"]
        ));
        for m in ["2026-03", "2026-04", "2026-05"] {
            assert_eq!(
                due_for_month(&r, &f, ym(m)),
                Due::Nothing {
                    reason: Skip::Deferred
                },
                "{m}"
            );
        }
        for (m, covered) in [
            ("2026-06", vec!["2026-03", "2026-06"]),
            ("2026-07", vec!["2026-04", "2026-07"]),
            ("2026-08", vec!["2026-05", "2026-08"]),
            ("2026-09", vec!["2026-09"]),
        ] {
            let b = bill(due_for_month(&r, &f, ym(m)));
            assert_eq!(months(&b), covered, "{m}");
            assert_eq!(b.total, Yen::new(10_000 * covered.len() as i64), "{m}");
        }
        assert_eq!(d.caught_up_by(), ym("2026-08"));
        // Three months a debit after a deferral of five: two debits catch up.
        let d = Deferral {
            from: ym("2026-01"),
            until: ym("2026-05"),
            extra_per_debit: 3,
        };
        assert_eq!(d.caught_up_in(ym("2026-06")).count(), 3);
        assert_eq!(d.caught_up_in(ym("2026-07")).count(), 2);
        assert_eq!(d.caught_up_in(ym("2026-08")).count(), 0);
        assert_eq!(d.caught_up_by(), ym("2026-07"));
    }

    #[test]
    fn accumulation_cap_stops_billing() {
        let r = sn_rules();
        let cap = r.premium.accumulation_cap_yen.as_ref().unwrap().value;
        let mut f = facts(Program::SafetyNet, 200_000);
        f.total_paid = Yen::new(cap.get() - 200_000);
        let last = bill(due_for_month(&r, &f, ym("2026-11")));
        assert_eq!(last.total, Yen::new(200_000));
        assert!(last.reaches_cap);
        // Never beyond the cap: a partial last premium.
        f.total_paid = Yen::new(cap.get() - 150_000);
        let partial = bill(due_for_month(&r, &f, ym("2026-11")));
        assert_eq!(partial.total, Yen::new(150_000));
        assert!(partial.reaches_cap);
        // Pending (billed, no result yet) counts too.
        f.pending = Yen::new(150_000);
        assert_eq!(
            due_for_month(&r, &f, ym("2026-11")),
            Due::Nothing {
                reason: Skip::CapReached
            }
        );
        f.pending = Yen::ZERO;
        f.total_paid = cap;
        assert_eq!(
            due_for_month(&r, &f, ym("2026-12")),
            Due::Nothing {
                reason: Skip::CapReached
            }
        );
        // 小規模 has no cap.
        let se = se_rules(DebitCycle::Renewed);
        let mut g = facts(Program::SmallEnterprise, 70_000);
        g.total_paid = Yen::new(100_000_000);
        assert!(matches!(
            due_for_month(&se, &g, ym("2026-11")),
            Due::Bill(_)
        ));
    }

    #[test]
    fn legacy_cycle_published_examples_29_and_30() {
        let r = se_rules(DebitCycle::Legacy);
        // #29: June fails → August debits June + August (July is billed normally).
        assert_eq!(redebit_month(&r, ym("2026-06")), ym("2026-08"));
        assert_eq!(redebit_month(&r, ym("2026-07")), ym("2026-10"));
        let mut lines = vec![line("2026-06", &["2026-06"], 10_000, LineResult::Failed)];
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.unpaid = standing(&lines).unpaid;
        assert_eq!(
            months(&bill(due_for_month(&r, &f, ym("2026-07")))),
            ["2026-07"]
        );
        let aug = bill(due_for_month(&r, &f, ym("2026-08")));
        assert_eq!(months(&aug), ["2026-06", "2026-08"]);
        assert_eq!(aug.total, Yen::new(20_000));
        assert_eq!(aug.arrears_amount, Yen::new(10_000));
        // #30: June, July and August unpaid → October debits Jun + Jul + Aug + Oct.
        lines.push(line("2026-07", &["2026-07"], 10_000, LineResult::Failed));
        lines.push(line(
            "2026-08",
            &["2026-08", "2026-06"],
            10_000,
            LineResult::Failed,
        ));
        lines.push(line("2026-09", &["2026-09"], 10_000, LineResult::Collected));
        f.unpaid = standing(&lines).unpaid;
        assert_eq!(f.unpaid.len(), 3);
        assert_eq!(
            months(&bill(due_for_month(&r, &f, ym("2026-09")))),
            ["2026-09"]
        );
        let oct = bill(due_for_month(&r, &f, ym("2026-10")));
        assert_eq!(months(&oct), ["2026-06", "2026-07", "2026-08", "2026-10"]);
        assert_eq!(oct.total, Yen::new(40_000));
        // Collected in October: nothing is unpaid any more.
        lines.push(LineHistory {
            month: ym("2026-10"),
            items: oct.items.clone(),
            amount: oct.total,
            result: LineResult::Collected,
        });
        let st = standing(&lines);
        assert!(st.unpaid.is_empty());
        assert_eq!(st.collected, Yen::new(50_000));
    }

    #[test]
    fn renewed_cycle_rebills_next_month() {
        let r = se_rules(DebitCycle::Renewed);
        let lines = vec![line("2026-06", &["2026-06"], 10_000, LineResult::Failed)];
        let mut f = facts(Program::SmallEnterprise, 10_000);
        f.unpaid = standing(&lines).unpaid;
        let jul = bill(due_for_month(&r, &f, ym("2026-07")));
        assert_eq!(months(&jul), ["2026-06", "2026-07"]);
        // A semi-annual payer's failure is re-billed the next month alone.
        f.frequency = PaymentFrequency::SemiAnnual;
        f.first_debit_month = ym("2026-06");
        let jul = bill(due_for_month(&r, &f, ym("2026-07")));
        assert_eq!(months(&jul), ["2026-06"]);
    }

    #[test]
    fn termination_threshold_stops_debits() {
        let r = se_rules(DebitCycle::Renewed);
        let mut f = facts(Program::SmallEnterprise, 10_000);
        let limit = termination_threshold(&r).unwrap();
        f.unpaid = (0..limit as i32)
            .map(|k| UnpaidMonth {
                month: ym("2025-01").plus(k),
                amount: Yen::new(10_000),
                last_failed_debit: ym("2025-01").plus(k),
            })
            .collect();
        // The month's own premium is still debited; the arrears are not (納付書).
        let Due::Bill(plan) = due_for_month(&r, &f, ym("2026-02")) else {
            panic!("the month's premium is due");
        };
        assert_eq!(plan.arrears_amount, Yen::ZERO);
        assert_eq!(months(&plan), ["2026-02"]);
        // An annual payer between debit months: nothing is debited at all.
        f.frequency = PaymentFrequency::Annual;
        f.first_debit_month = ym("2025-01");
        assert_eq!(
            due_for_month(&r, &f, ym("2026-02")),
            Due::Nothing {
                reason: Skip::TerminationCandidate
            }
        );
        f.frequency = PaymentFrequency::Monthly;
        f.unpaid.pop();
        let Due::Bill(plan) = due_for_month(&r, &f, ym("2026-02")) else {
            panic!("below the threshold the arrears are re-billed");
        };
        assert_eq!(plan.arrears_months(), 11);
    }

    #[test]
    fn items_round_trip() {
        let items = vec![
            BillItem {
                month: ym("2026-08"),
                amount: Yen::new(10_000),
                arrears: false,
                kind: ItemKind::Premium,
            },
            BillItem {
                month: ym("2026-06"),
                amount: Yen::new(9_500),
                arrears: true,
                kind: ItemKind::Premium,
            },
        ];
        let t = encode_items(&items);
        assert_eq!(t, "2026-08=10000;*2026-06=9500");
        assert_eq!(decode_items(&t).unwrap(), items);
        assert!(decode_items("2026-08").is_none());
    }

    fn late(from: &str, effective: &str, previous: i64, premium: i64) -> LateSettlement {
        LateSettlement {
            from: ym(from),
            effective: ym(effective),
            previous: Yen::new(previous),
            premium: Yen::new(premium),
        }
    }

    #[test]
    fn a_late_increase_bills_the_difference_with_the_next_debit() {
        let r = sn_rules();
        let mut f = facts(Program::SafetyNet, 50_000);
        // Received 2026-07-10 (after the 5th): July at the old amount, August at the new one
        // plus July's difference.
        f.premium_changes = vec![(ym("2026-08"), Yen::new(80_000))];
        f.late_settlements = vec![late("2026-07", "2026-08", 50_000, 80_000)];
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2026-07"))).total,
            Yen::new(50_000)
        );
        let aug = bill(due_for_month(&r, &f, ym("2026-08")));
        assert_eq!(aug.total, Yen::new(110_000));
        assert_eq!(aug.months_covered(), 1);
        assert!(aug.items.iter().any(|i| i.kind == ItemKind::Difference
            && i.month == ym("2026-07")
            && i.amount == Yen::new(30_000)));
        assert_eq!(decode_items(&aug.items_text()).unwrap(), aug.items);
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2026-09"))).total,
            Yen::new(80_000)
        );
    }

    #[test]
    fn a_late_decrease_credits_the_excess_until_it_is_used_up() {
        let r = sn_rules();
        let mut f = facts(Program::SafetyNet, 100_000);
        // July debited at 100,000 although owed at 40,000: 60,000 credited from August on.
        f.premium_changes = vec![(ym("2026-08"), Yen::new(40_000))];
        f.late_settlements = vec![late("2026-07", "2026-08", 100_000, 40_000)];
        assert_eq!(
            due_for_month(&r, &f, ym("2026-08")),
            Due::Nothing {
                reason: Skip::Credited
            }
        );
        let sep = bill(due_for_month(&r, &f, ym("2026-09")));
        assert_eq!(sep.total, Yen::new(20_000));
        assert_eq!(sep.months_covered(), 1);
        assert!(
            sep.items
                .iter()
                .any(|i| i.kind == ItemKind::Credit && i.amount == Yen::new(-20_000))
        );
        assert_eq!(decode_items(&sep.items_text()).unwrap(), sep.items);
        assert_eq!(
            bill(due_for_month(&r, &f, ym("2026-10"))).total,
            Yen::new(40_000)
        );
    }

    #[test]
    fn a_failed_difference_is_unpaid_but_a_credit_never_is() {
        let r = sn_rules();
        let mut f = facts(Program::SafetyNet, 50_000);
        f.premium_changes = vec![(ym("2026-08"), Yen::new(80_000))];
        f.late_settlements = vec![late("2026-07", "2026-08", 50_000, 80_000)];
        let aug = bill(due_for_month(&r, &f, ym("2026-08")));
        let mut unpaid = Vec::new();
        fail_plan(&mut unpaid, &aug);
        assert_eq!(unpaid.iter().map(|u| u.amount.get()).sum::<i64>(), 110_000);
        f.premium_changes = vec![(ym("2026-09"), Yen::new(40_000))];
        f.late_settlements = vec![late("2026-08", "2026-09", 60_000, 40_000)];
        let mut unpaid = Vec::new();
        fail_plan(&mut unpaid, &bill(due_for_month(&r, &f, ym("2026-09"))));
        assert!(unpaid.iter().all(|u| u.amount > Yen::ZERO));
    }
}
