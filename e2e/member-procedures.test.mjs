// Walks every contract procedure of the demo member 山田 (both programs, five years of history)
// on a phone-sized screen in headless Debian chromium and runs axe on every page it visits.
// Started by ./run.sh (which sets E2E_BASE_URL). The steps are ordered so that an application
// left in review (which blocks further procedures on its contract) comes last on that contract.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, demoLogin, follow, guide, h1, launch, phonePage, scanner, submit } from './lib.mjs';

const { scan, assertClean } = scanner('p');

async function main(page) {
  return page.locator('main').innerText();
}

/** The contract number behind the portal's billing link of `program`. */
async function contractNumber(page, program) {
  const href = await page.getByRole('link', { name: `${program}の請求と引落しの状況` }).getAttribute('href');
  const m = href.match(/^\/portal\/contracts\/(\d+)\/billing$/);
  assert.ok(m, `billing link of ${program}: ${href}`);
  return m[1];
}

/** A yen amount as the pages print it (「50,000円」) → number. */
function yen(text) {
  return Number(text.replace(/[^\d]/g, ''));
}

// ---------- the walk ----------

test('demo member: every contract procedure at 390×844, axe on every page', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  try {
    const page = await phonePage(browser);

    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'yamada@example.jp');
    assert.equal(await h1(page), 'マイページ');
    const small = await contractNumber(page, '小規模企業共済');
    const safety = await contractNumber(page, '経営セーフティ共済（中小企業倒産防止共済）');

    // ---- 小規模企業共済 ----
    const billing = `${BASE}/portal/contracts/${small}/billing`;
    await page.goto(billing);
    await scan(page, '小規模 請求と引落し');

    // Premium change: a bad amount is refused next to the field, then confirm with the next bills.
    await follow(page, '掛金月額を変更する');
    assert.match(await h1(page), /掛金/);
    await scan(page, '小規模 掛金変更');
    const premiumGuide = guide('premium_change');
    await premiumGuide.step(page, '契約の「請求と引落しの状況」から「掛金月額を変更する」を開くと、今の掛金月額と選べる金額の範囲が表示されます。新しい掛金月額を入力して「次へ（確認）」を押します。');
    const current = yen(await page.locator('dl.summary-list dd').first().innerText());
    assert.ok(current > 0, `current premium ${current}`);
    await page.getByLabel('新しい掛金月額（円）').fill('12345');
    await submit(page, '次へ（確認）');
    assert.equal(await page.locator('.error-summary').count(), 1);
    assert.equal(await page.getByLabel('新しい掛金月額（円）').getAttribute('aria-invalid'), 'true');
    assert.ok((await page.locator('#e-monthly_premium_yen').innerText()).length > 0, 'message next to the field');
    await scan(page, '小規模 掛金変更 エラー表示');
    await premiumGuide.step(page, '選べない金額を入力すると、理由が入力欄のすぐ上に表示されます。金額を直してもう一度「次へ（確認）」を押します。');
    const raised = current + 5000 <= 70000 ? current + 5000 : current - 5000;
    await page.getByLabel('新しい掛金月額（円）').fill(String(raised));
    await submit(page, '次へ（確認）');
    const premiumConfirm = await main(page);
    assert.match(premiumConfirm, /新しい金額になる月/);
    assert.match(premiumConfirm, /新しい金額での最初の引落し/);
    assert.ok(premiumConfirm.includes(raised.toLocaleString('en-US')), `new amount ${raised} shown`);
    await scan(page, '小規模 掛金変更 確認');
    await premiumGuide.step(page, '新しい金額になる月と、新しい金額での引落しの予定を確認して「この金額に変更する」を押します。');
    await submit(page, 'この金額に変更する');
    assert.match(await page.locator('[role="status"]').innerText(), /掛金月額の変更が完了しました/);
    await scan(page, '小規模 掛金変更 完了');
    await premiumGuide.step(page, '変更が完了しました。確認のメールが届き、マイページのお知らせにも同じ内容が表示されます。');
    premiumGuide.finish();

    // Payment frequency: 年払 in April.
    await page.goto(billing);
    await follow(page, '払込区分（月払・半年払・年払）を変更する');
    assert.equal(await h1(page), '払込区分の変更');
    await scan(page, '小規模 払込区分');
    const frequencyGuide = guide('frequency_change');
    await frequencyGuide.step(page, '「払込区分（月払・半年払・年払）を変更する」を開き、新しい払込区分と、半年払・年払の場合は納付する月を選んで「次へ（確認）」を押します。');
    await page.getByRole('radio', { name: '年払', exact: true }).check();
    await page.getByLabel(/^指定納付月（半年払・年払）/).selectOption('4');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '払込区分の変更の確認');
    const frequencyConfirm = await main(page);
    assert.match(frequencyConfirm, /新しい払込区分\s*年払/);
    assert.match(frequencyConfirm, /指定納付月\s*4月/);
    await scan(page, '小規模 払込区分 確認');
    await frequencyGuide.step(page, '新しい払込区分で引落しが始まる月と金額を確認して「この内容で変更する」を押します。');
    await submit(page, 'この内容で変更する');
    assert.equal(await h1(page), '払込区分を変更しました');
    assert.match(await main(page), /払込区分の変更が完了しました/);
    await scan(page, '小規模 払込区分 完了');
    await frequencyGuide.step(page, '変更が完了しました。確認のメールが届きます。');
    frequencyGuide.finish();

    // Registered details: a new phone number completes at once.
    await page.goto(billing);
    await follow(page, '登録内容を変更する');
    assert.equal(await h1(page), '登録内容の変更');
    await scan(page, '小規模 登録内容');
    const detailsGuide = guide('details_change');
    await detailsGuide.step(page, '「登録内容を変更する」を開くと、今の登録内容が入った画面になります。変わった項目だけを書き換えて「次へ（確認）」を押します。氏名や名称の変更には、変更が分かる書類（PDF・JPEG・PNG）を添付します。');
    await page.getByLabel('電話番号').fill('03-9876-5432');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '変更内容の確認');
    assert.match(await main(page), /電話番号\s*0312345678 → 0398765432/);
    await scan(page, '小規模 登録内容 確認');
    await detailsGuide.step(page, '変更前と変更後が並んで表示されます。確認して「変更する」を押します。');
    await submit(page, '変更する');
    assert.equal(await h1(page), '登録内容を変更しました');
    assert.match(await main(page), /登録内容の変更が完了しました/);
    await scan(page, '小規模 登録内容 完了');
    await detailsGuide.step(page, '変更が完了しました。確認のメールが届きます。');
    detailsGuide.finish();

    // A name change needs evidence: without it the form says so; with a PDF attached, an
    // individual's name change is checked against the attachment and completes (only a
    // corporation's name change waits for staff, see kyosai_app::details_change).
    await page.goto(`${BASE}/portal/contracts/${small}/details`);
    await page.getByLabel(/^契約者の氏名/).fill('山田 花子');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '登録内容の変更', 'no evidence: back to the form');
    assert.match(await page.locator('.error-summary').innerText(), /書類/);
    assert.equal(await page.getByLabel(/^変更が分かる書類/).getAttribute('aria-invalid'), 'true');
    await scan(page, '小規模 氏名変更 添付なし');
    assert.equal(await page.getByLabel(/^契約者の氏名/).inputValue(), '山田 花子', 'typed name kept');
    await page.getByLabel(/^変更が分かる書類/).setInputFiles({
      name: 'koseki.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'),
    });
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '変更内容の確認');
    const nameConfirm = await main(page);
    assert.match(nameConfirm, /契約者の氏名\s*山田 太郎 → 山田 花子/);
    assert.match(nameConfirm, /添付書類\s*koseki\.pdf/);
    await scan(page, '小規模 氏名変更 確認');
    await submit(page, '変更する');
    assert.equal(await h1(page), '登録内容を変更しました');
    assert.match(await main(page), /登録内容の変更が完了しました[\s\S]*山田 太郎 → 山田 花子/);
    await scan(page, '小規模 氏名変更 完了');

    // 掛止め of 小規模 is for the disaster special measure only: the form says so.
    await page.goto(billing);
    await follow(page, '掛金の掛止めを申し出る');
    assert.match(await main(page), /災害の特例措置の対象の方のみ/);
    await scan(page, '小規模 掛止め');

    // The debit account form (walked end to end by the enrollment test).
    await page.goto(billing);
    await follow(page, '引落口座を変更する');
    assert.match(await h1(page), /引落口座の変更/);
    await scan(page, '小規模 引落口座の変更');

    // 前納 filed: it waits for staff (the transfer is checked), and from then on the contract
    // takes no other procedure until it is decided (409 procedure_pending).
    await page.goto(billing);
    await follow(page, '掛金の前納を申し出る');
    await page.getByLabel('前納する月数').fill('6');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '前納のお申し出の確認');
    assert.match(await main(page), /（6か月分）/);
    await submit(page, '前納を申し出る');
    assert.equal(await h1(page), '前納のお申し出を受け付けました');
    assert.match(await main(page), /受付番号 \d+）。振込先と金額は職員からご案内します/);
    await scan(page, '小規模 前納 受付');
    await page.goto(`${BASE}/portal/contracts/${small}/premium`);
    await page.getByLabel('新しい掛金月額（円）').fill(String(current));
    // Said before confirming: the confirmation page is not offered.
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '処理できませんでした');
    assert.match(await main(page), /確認中のお手続き（.*前納.*、受付番号 \d+）があります/);
    await scan(page, '小規模 確認中の手続きあり');

    // 契約者貸付: the limit in force and each kind's amounts, rate and terms from the rule set; an
    // amount off the unit is refused next to the field; the confirmation shows the transfer less
    // the interest paid in advance and the schedule (not filed: it waits for staff and would hold
    // the contract's later procedures in this walk).
    await page.goto(`${BASE}/portal/contracts/${small}/loans`);
    assert.equal(await h1(page), '貸付けと返済');
    await scan(page, '小規模 貸付けと返済');
    await follow(page, '契約者貸付を申し込む');
    assert.equal(await h1(page), '契約者貸付を申し込む');
    await scan(page, '小規模 契約者貸付');
    const memberLoanGuide = guide('member_loan');
    await memberLoanGuide.step(page, '「貸付けと返済」から「契約者貸付を申し込む」を開くと、今の貸付限度額と、種類ごとの借入額・利率・返済期間が表示されます。種類を選び、借入額と返済期間を入力して「次へ（確認）」を押します。');
    await page.getByLabel('一般貸付け').check();
    await page.getByLabel('借入額（円）').fill('1010000');
    await page.getByLabel('返済期間（月数）').fill('12');
    await submit(page, '次へ（確認）');
    assert.equal(await page.locator('.error-summary').count(), 1);
    assert.equal(await page.getByLabel('借入額（円）').getAttribute('aria-invalid'), 'true');
    await scan(page, '小規模 契約者貸付 エラー表示');
    await page.getByLabel('借入額（円）').fill('500000');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '契約者貸付の借入れの確認');
    assert.match(await main(page), /前払いの利息\s*[\d,]+円/);
    await scan(page, '小規模 契約者貸付 確認');
    await memberLoanGuide.step(page, '前払いの利息を差し引いたお振込み額と、返済の予定（期日・元金・利息）を確認して「この内容で申し込む」を押すと、職員が確認して貸付けを決定します。');
    memberLoanGuide.finish();

    // ---- 経営セーフティ共済 ----
    const safetyBilling = `${BASE}/portal/contracts/${safety}/billing`;
    await page.goto(safetyBilling);
    await scan(page, 'セーフティ 請求と引落し');
    assert.equal(
      await page.getByRole('link', { name: '払込区分（月払・半年払・年払）を変更する' }).count(),
      0,
      'no frequency change for 倒産防止',
    );

    // 一時貸付金 (before the procedures that change the contract): the limit and the amount rules
    // from the rule set; an amount off the unit is refused next to the field; then the quote with
    // the repayment at maturity, and the decision.
    await follow(page, '一時貸付金を借りる');
    assert.equal(await h1(page), '一時貸付金を借りる');
    await scan(page, 'セーフティ 一時貸付金');
    const loanGuide = guide('temporary_loan');
    await loanGuide.step(page, '経営セーフティ共済の「請求と引落しの状況」から「一時貸付金を借りる」を開くと、今日の貸付限度額と借入額の決まりが表示されます。借入額を入力して「次へ（確認）」を押します。');
    const loanLimit = yen(await page.locator('dl.summary-list dd').first().innerText());
    const loanRules = (await page.locator('#h-amount_yen').innerText()).match(/([\d,]+)円以上、([\d,]+)円単位/);
    assert.ok(loanRules, 'the minimum and the unit are shown');
    const [loanMin, loanUnit] = [yen(loanRules[1]), yen(loanRules[2])];
    assert.ok(loanLimit >= loanMin, `limit ${loanLimit} reaches the minimum ${loanMin}`);
    await page.getByLabel('借入額（円）').fill(String(loanMin + loanUnit / 5));
    await submit(page, '次へ（確認）');
    assert.equal(await page.locator('.error-summary').count(), 1);
    assert.equal(await page.getByLabel('借入額（円）').getAttribute('aria-invalid'), 'true');
    await scan(page, 'セーフティ 一時貸付金 エラー表示');
    await page.getByLabel('借入額（円）').fill(String(loanMin));
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '一時貸付金の借入れの確認');
    const loanQuote = await main(page);
    assert.ok(loanQuote.includes(loanMin.toLocaleString('en-US')), `amount ${loanMin} shown`);
    assert.match(loanQuote, /満期日にお返しいただく額\s*[\d,]+円/);
    await scan(page, 'セーフティ 一時貸付金 確認');
    await loanGuide.step(page, 'お振込みの日、満期日と、満期日にお返しいただく額（元金と利息）を確認して「この内容で借りる」を押します。');
    await submit(page, 'この内容で借りる');
    assert.match(
      await page.locator('[role="status"]').innerText(),
      /一時貸付金の(貸付けが決定しました|お申込みを受け付けました)/,
    );
    await scan(page, 'セーフティ 一時貸付金 完了');
    await loanGuide.step(page, '貸付けが決定しました。お振込みの日に引落口座へ振り込まれ、決定のお知らせがメールで届きます。');
    loanGuide.finish();

    // 繰上返済: the loan just decided is on 「貸付けと返済」 with what is owed and its schedule;
    // repaying it early shows the debit date and the amounts before anything is stored.
    await page.goto(`${BASE}/portal`);
    await follow(page, '経営セーフティ共済（中小企業倒産防止共済）の貸付けと返済');
    assert.equal(await h1(page), '貸付けと返済');
    assert.match(await main(page), /今日のご返済残高\s*[\d,]+円/);
    await scan(page, 'セーフティ 貸付けと返済');
    const earlyGuide = guide('loan_early_repayment');
    await earlyGuide.step(page, 'マイページの「貸付けと返済」を開くと、お借入れごとに今日のご返済残高、次のご返済、口座振替の結果と返済予定表が表示されます。残りをまとめて返すときは「残りを一括して返す（繰上返済）」を押します。');
    await submit(page, '残りを一括して返す（繰上返済）');
    assert.equal(await h1(page), '繰上返済の確認');
    assert.match(await main(page), /ご返済額\s*[\d,]+円/);
    await scan(page, 'セーフティ 繰上返済 確認');
    await earlyGuide.step(page, '引落日と、その日にご返済いただく額（元金・利息・遅延損害金）を確認して「繰上返済を申し出る」を押します。');
    await submit(page, '繰上返済を申し出る');
    assert.match(await page.locator('[role="status"]').innerText(), /繰上返済のお申し出を受け付けました/);
    assert.match(await main(page), /お申し出済み|ご返済額/);
    await scan(page, 'セーフティ 繰上返済 完了');
    await earlyGuide.step(page, 'お申し出を受け付けました。引落日に残りの額を口座振替でご返済いただきます。確認のメールが届きます。');
    earlyGuide.finish();
    await page.goto(safetyBilling);

    // 共済金貸付: the form and the confirmation with the limit (not filed: a request waits for
    // staff and would hold the contract's later procedures in this walk).
    await follow(page, '共済金を借りる（取引先が倒産したとき）');
    assert.match(await h1(page), /共済金/);
    await scan(page, 'セーフティ 共済金貸付');
    const bankruptcyGuide = guide('bankruptcy_loan');
    await bankruptcyGuide.step(page, '経営セーフティ共済の「請求と引落しの状況」から「共済金を借りる」を開き、取引先に起きたこと、倒産日、取引先の名称、回収が難しくなった売掛金などの額と月間の総取引額を入力して「次へ（借りられる額の確認）」を押します。');
    await page.getByLabel(/法的整理/).check();
    const lastMonth = new Date(Date.now() - 20 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    await page.getByLabel(/^倒産日/).fill(lastMonth);
    await page.getByLabel(/^倒産した取引先の名称/).fill('株式会社テスト商事');
    await page.getByLabel(/^回収が難しくなった売掛金などの額/).fill('3000000');
    await page.getByLabel(/^月間の総取引額/).fill('10000000');
    await submit(page, '次へ（借りられる額の確認）');
    assert.equal(await h1(page), '共済金の借入れの確認');
    assert.match(await main(page), /借りられる額（上限）\s*[\d,]+円/);
    await scan(page, 'セーフティ 共済金貸付 確認');
    await bankruptcyGuide.step(page, '借りられる額の上限と返済の条件、借りたときに減る掛金の権利が表示されます。倒産と売掛金が分かる書類を添付して「この内容で申し込む」を押すと、職員が書類を確認して貸付額を決定します。');
    bankruptcyGuide.finish();
    await page.goto(safetyBilling);

    // 前納: the confirmation says it goes to review (the transfer is checked by staff); not filed,
    // so the contract stays free for the next procedures.
    await follow(page, '掛金の前納を申し出る');
    assert.equal(await h1(page), '掛金の前納');
    await scan(page, 'セーフティ 前納');
    const prepaymentGuide = guide('prepayment');
    await prepaymentGuide.step(page, '「掛金の前納を申し出る」を開き、前納する月数を入力して「次へ（確認）」を押します。');
    await page.getByLabel('前納する月数').fill('12');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '前納のお申し出の確認');
    const prepay = await main(page);
    assert.match(prepay, /前納する月\s*.*（12か月分）/);
    assert.match(prepay, /前納金/);
    assert.match(prepay, /前納減額金/);
    assert.equal(await page.getByRole('button', { name: '前納を申し出る', exact: true }).count(), 1);
    await scan(page, 'セーフティ 前納 確認');
    await prepaymentGuide.step(page, '前納する月、前納金の額と、前納による割引（前納減額金）を確認します。よろしければ「前納を申し出る」を押します。振込先と金額は職員からご案内します。');
    prepaymentGuide.finish();

    // 掛止め: allowed once the total paid reaches the rule's multiple of the monthly premium;
    // either way the page says so with the member's figures.
    await page.goto(safetyBilling);
    await follow(page, '掛金の掛止めを申し出る');
    assert.equal(await h1(page), '掛金の掛止め');
    assert.match(await main(page), /掛金総額が掛金月額の\d+倍以上のとき/);
    await scan(page, 'セーフティ 掛止め');
    const suspensionGuide = guide('suspension');
    await suspensionGuide.step(page, '「掛金の掛止めを申し出る」を開くと、掛止めができる条件が表示されます。「次へ（確認）」を押します。');
    await submit(page, '次へ（確認）');
    const suspension = await main(page);
    if ((await h1(page)) === '掛止めの確認') {
      const total = suspension.match(/掛金総額\s*([\d,]+円)/);
      assert.ok(total, `掛金総額 shown: ${suspension}`);
      const required = suspension.match(/掛止めに必要な掛金総額\s*([\d,]+円)/);
      assert.ok(required, `掛止めに必要な掛金総額 shown: ${suspension}`);
      assert.ok(yen(total[1]) >= yen(required[1]), `${total[1]} reaches ${required[1]}`);
      await scan(page, 'セーフティ 掛止め 確認');
      await suspensionGuide.step(page, '今の掛金総額と、掛止めに必要な掛金総額が表示されます。確認して「掛止めする」を押します。');
      await submit(page, '掛止めする');
      assert.equal(await h1(page), '掛止めを受け付けました');
      assert.match(await main(page), /掛止めを受け付けました（受付番号/);
      await scan(page, 'セーフティ 掛止め 完了');
      await suspensionGuide.step(page, '掛止めを受け付けました。次の引落しから掛金の引落しが止まります。');
      suspensionGuide.finish();

      // Resumption from the registered account (account fields left empty).
      await page.goto(safetyBilling);
      await follow(page, '掛止め中の掛金納付を再開する');
      assert.equal(await h1(page), '掛金納付の再開');
      await scan(page, 'セーフティ 再開');
      const resumptionGuide = guide('resumption');
      await resumptionGuide.step(page, '掛止め中の契約は「掛止め中の掛金納付を再開する」から再開できます。今の引落口座のままなら口座の欄は空のまま「次へ（確認）」を押します。');
      await submit(page, '次へ（確認）');
      assert.equal(await h1(page), '掛金納付の再開の確認');
      assert.match(await main(page), /引落しを再開する月/);
      await scan(page, 'セーフティ 再開 確認');
      await resumptionGuide.step(page, '引落しを再開する月を確認して「再開する」を押します。');
      await submit(page, '再開する');
      assert.equal(await h1(page), '掛金納付の再開を受け付けました');
      await scan(page, 'セーフティ 再開 完了');
      await resumptionGuide.step(page, '再開を受け付けました。確認のメールが届きます。');
      resumptionGuide.finish();
    } else {
      // Refused (409 suspension_not_allowed): the page names the rule and the member's figures.
      assert.equal(await h1(page), '処理できませんでした');
      assert.match(suspension, /掛金月額の\d+倍（[\d,]+円）以上のときにできます。現在の掛金総額は[\d,]+円です/);
      await scan(page, 'セーフティ 掛止め 不可');
    }

    // Cancellation: quote, the confirmation checkbox, done; the billing page shows the refund.
    await page.goto(safetyBilling);
    await follow(page, '解約する');
    assert.match(await h1(page), /解約/);
    const refund = (await page.locator('#refund-total').innerText()).trim();
    assert.match(refund, /[\d,]+円/);
    assert.match(await page.locator('#payment-date').innerText(), /\d+年\d+月\d+日/);
    await scan(page, 'セーフティ 解約 見積り');
    const cancelGuide = guide('cancellation');
    await cancelGuide.step(page, '「解約する」を開くと、受け取れる解約手当金の額とお支払いの日が表示されます。');
    await submit(page, '解約する');
    assert.equal(await page.locator('.error-summary').count(), 1, 'the checkbox is required');
    await scan(page, 'セーフティ 解約 確認なし');
    await cancelGuide.step(page, '解約してよいことを確かめるチェックを入れないと、解約できません。チェックを入れて「解約する」を押します。');
    await page.getByLabel(/この共済契約を解約します/).check();
    await submit(page, '解約する');
    const done = await main(page);
    assert.match(done, /解約のお手続きが完了しました/);
    assert.ok(done.includes(refund), `refund ${refund} on the done page`);
    await scan(page, 'セーフティ 解約 完了');
    await cancelGuide.step(page, '解約の手続きが完了しました。解約手当金はお支払いの日に振り込まれます。');
    cancelGuide.finish();
    await follow(page, '契約の請求と引落しの状況へ');
    const refundSection = await page.locator('#refund').innerText();
    assert.match(refundSection, /決定済み・支払予定/);
    assert.ok(refundSection.includes(refund), `refund ${refund} on the billing page`);
    await scan(page, 'セーフティ 請求と引落し（解約後）');

    // ---- お知らせ ----
    await page.goto(`${BASE}/portal/notices`);
    assert.equal(await h1(page), 'お知らせ');
    const unreadBefore = await page.locator('.badge', { hasText: '未読' }).count();
    assert.ok(unreadBefore > 0, 'the procedures sent notices');
    assert.match(await main(page), /解約/);
    await scan(page, 'お知らせ一覧');
    const first = page.locator('main li.card').filter({ has: page.locator('.badge', { hasText: '未読' }) }).first();
    const subject = (await first.locator('a').innerText()).trim();
    await Promise.all([page.waitForLoadState('load'), first.locator('a').click()]);
    assert.equal(await h1(page), subject);
    await scan(page, 'お知らせ');
    await follow(page, 'お知らせの一覧に戻る');
    assert.equal(await page.locator('.badge', { hasText: '未読' }).count(), unreadBefore - 1, 'opened notice read');

    // ---- 画面つきの説明 (made by these walks) ----
    await page.goto(`${BASE}/help`);
    assert.equal(await h1(page), 'お手続きの画面つき説明');
    await scan(page, '説明の一覧');
    await follow(page, '掛金月額の変更');
    assert.equal(await h1(page), '掛金月額の変更の手順');
    assert.ok((await page.locator('main img').count()) >= 2, 'a screenshot per step');
    await scan(page, '説明 掛金月額の変更');
  } finally {
    await browser.close();
  }

  assertClean();
});
