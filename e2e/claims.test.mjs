// The benefit claim at 390×844 (issue #11 item 1): the demo member 佐藤 claims 共済金 for closing
// her business — a future date refused next to the field, the preview with the kind, the net
// amount and the payout forms, the closure notice attached, the done page. axe on every page;
// the steps make the help page of the claim. Started by ./run.sh. 佐藤 is used because no other
// walk files procedures on her contracts. Before his death claim, 高橋 (a business in the Noto
// measure's area) opens the 特例災害時貸付け's confirmation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, demoLogin, follow, guide, h1, launch, phonePage, scanner, submit } from './lib.mjs';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

test('a death claim by the bereaved at 390×844, axe on every page', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  const { scan, assertClean } = scanner('death-claim');
  try {
    const page = await phonePage(browser);
    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'takahashi@example.jp');
    const href = await page.getByRole('link', { name: '小規模企業共済の請求と引落しの状況' }).getAttribute('href');
    const number = href.match(/contracts\/(\d+)\//)[1];
    // 高橋's business is in 金沢市, in the 2024 Noto measure's area: his member-loan page offers
    // the 特例災害時貸付け on the measure's terms, and its confirmation asks for the 被災証明書
    // (not filed here: the claim below is this contract's procedure).
    await page.goto(`${BASE}/portal/contracts/${number}/member-loan`);
    assert.match(await page.locator('main').innerText(), /令和6年能登半島地震に係る特例措置の対象です/);
    await page.getByLabel('特例災害時貸付け').check();
    await page.getByLabel('借入額（円）').fill('500000');
    await page.getByLabel('返済期間（月数）').fill('48');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '契約者貸付の借入れの確認');
    assert.equal(await page.locator('#f-evidence_file').count(), 1);
    await scan(page, '特例災害時貸付け 確認');
    // The same measure offers 掛金の納付期限の延長: the number of months, the confirmation with
    // the deferred and catch-up months, done (decided by the rule; the claim below still files).
    await page.goto(`${BASE}${href}`);
    await follow(page, '掛金の納付期限を延長する（災害の特例措置）');
    assert.equal(await h1(page), '掛金の納付期限の延長');
    await scan(page, '納付期限の延長');
    const deferralGuide = guide('premium_deferral');
    await deferralGuide.step(page, '小規模企業共済の「請求と引落しの状況」から「掛金の納付期限を延長する（災害の特例措置）」を開き、延長する月数を入力して「次へ（確認）」を押します。');
    await page.getByLabel('延長する月数').fill('3');
    await submit(page, '次へ（確認）');
    assert.equal(await h1(page), '納付期限の延長の確認');
    assert.match(await page.locator('main').innerText(), /延長した掛金の引落し/);
    await scan(page, '納付期限の延長 確認');
    await deferralGuide.step(page, '引落しを延長する月と、延長期間のあとに毎月の掛金とあわせて引き落とす額を確認して「納付期限を延長する」を押します。');
    await submit(page, '納付期限を延長する');
    assert.match(await page.locator('[role="status"]').innerText(), /納付期限の延長を受け付けました/);
    await scan(page, '納付期限の延長 完了');
    await deferralGuide.step(page, '受付が完了しました。延長した月の引落しはなく、延長した掛金は、そのあとの引落しで毎月の掛金とあわせてお支払いいただきます。確認のメールが届きます。');
    deferralGuide.finish();
    await page.goto(`${BASE}${href}`);
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('link', { name: '共済金等を請求する（廃業・退任・死亡など）' }).click(),
    ]);
    await page.getByLabel('契約者の死亡').check();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel(/^その日付/).fill(today);
    // Without the bereaved's details the claim cannot be previewed: the fields say why.
    await submit(page, '次へ（金額の確認）');
    assert.equal(await page.locator('.error-summary').count(), 1);
    await scan(page, '死亡 請求 エラー表示');

    await page.getByLabel(/^契約者との続柄/).selectOption({ label: '配偶者' });
    await page.getByLabel(/^請求する方の氏名（フリガナ）/).fill('サトウ タロウ');
    await page.getByLabel(/^請求する方の氏名(?!（)/).fill('佐藤 太郎');
    await page.getByLabel(/^請求する方の生年月日/).fill('1975-05-05');
    await page.getByLabel(/^請求する方の住所/).fill('東京都千代田区丸の内1-1-1');
    await page.getByLabel(/^お振込み先の金融機関コード/).fill('0005');
    await page.getByLabel(/^支店コード/).fill('001');
    await page.getByLabel('普通').check();
    await page.getByLabel(/^口座番号/).fill('7654321');
    await page.getByLabel(/^口座名義/).fill('サトウ タロウ');
    await submit(page, '次へ（金額の確認）');
    assert.equal(await h1(page), '請求内容の確認');
    const preview = await page.locator('main').innerText();
    assert.match(preview, /受け取るもの\s*(共済金A|共済金B|準共済金|解約手当金)/);
    assert.match(preview, /お受け取りになる額\s*[\d,]+円/);
    await scan(page, '死亡 請求 金額の確認');
    // Back to the form and forward again: what was typed is kept.
    await submit(page, '入力内容を直す');
    assert.equal(await h1(page), '共済金等を請求する');
    assert.equal(await page.getByLabel(/^請求する方の住所/).inputValue(), '東京都千代田区丸の内1-1-1');
    await submit(page, '次へ（金額の確認）');
    assert.equal(await h1(page), '請求内容の確認');
    // Filed: a death claim is always decided by staff, who check the family register.
    await submit(page, 'この内容で請求する');
    assert.equal(await h1(page), '共済金等の請求を受け付けました');
    assert.match(await page.locator('[role="status"]').innerText(), /請求を受け付けました/);
    await scan(page, '死亡 請求 受付');
  } finally {
    await browser.close();
  }
  assertClean();
});

test('benefit claim with a document at 390×844, axe on every page', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  const { scan, assertClean } = scanner('claim');
  const g = guide('benefit_claim');
  try {
    const page = await phonePage(browser);
    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'sato@example.jp');
    const href = await page.getByRole('link', { name: '小規模企業共済の請求と引落しの状況' }).getAttribute('href');
    await page.goto(`${BASE}${href}`);
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('link', { name: '共済金等を請求する（廃業・退任・死亡など）' }).click(),
    ]);
    assert.equal(await h1(page), '共済金等を請求する');
    await scan(page, '請求 事由');
    await g.step(page, '契約の「請求と引落しの状況」から「共済金等を請求する」を開き、請求の理由（廃業・退任・死亡など）と、その日付を入力して「次へ（金額の確認）」を押します。');

    await page.getByLabel('個人事業の廃業').check();
    await page.getByLabel(/^その日付/).fill('2099-01-01');
    await submit(page, '次へ（金額の確認）');
    assert.equal(await page.locator('.error-summary').count(), 1);
    assert.equal(await page.getByLabel(/^その日付/).getAttribute('aria-invalid'), 'true');
    await scan(page, '請求 事由 エラー表示');
    await g.step(page, '未来の日付など、入力に誤りがあると入力欄のすぐ上に理由が表示されます。直してもう一度「次へ（金額の確認）」を押します。');

    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel(/^その日付/).fill(today);
    await submit(page, '次へ（金額の確認）');
    assert.equal(await h1(page), '請求内容の確認');
    const preview = await page.locator('main').innerText();
    assert.match(preview, /受け取るもの\s*(共済金A|共済金B|準共済金|解約手当金)/);
    assert.match(preview, /お受け取りになる額\s*[\d,]+円/);
    assert.match(preview, /一括でうけとる/);
    await scan(page, '請求 金額の確認');
    await page.getByLabel(/^請求の理由がわかる書類/).setInputFiles({ name: 'haigyo.pdf', mimeType: 'application/pdf', buffer: PDF });
    await g.step(page, '受け取るもの（共済金A・B、準共済金など）と、その理由、お受け取りになる額が表示されます。受け取り方（一括・分割）を選び、廃業届の控えなど請求の理由がわかる書類を添付して「この内容で請求する」を押します。');

    await submit(page, 'この内容で請求する');
    assert.equal(await h1(page), '共済金等の請求を受け付けました');
    assert.match(await page.locator('[role="status"]').innerText(), /(支払いが決定しました|請求を受け付けました)/);
    await scan(page, '請求 完了');
    await g.step(page, '請求が完了しました。決定した場合はお振込みの予定が表示され、決定のお知らせがメールで届きます。確認が必要な場合は、職員が確認してからお知らせします。');
    g.finish();
  } finally {
    await browser.close();
  }
  assertClean();
});
