// Walks the member pages on a phone-sized screen in headless Debian chromium and runs axe on
// every page it visits. Started by ./run.sh (which sets E2E_BASE_URL and E2E_DATA_DIR).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, DATA_DIR, DEMO_PASSWORD, DEMO_TOTP_SECRET, freshCode, guide, h1, launch, phonePage, scanner, submit } from './lib.mjs';

const { scan, assertClean } = scanner('');

// ---------- mail ----------

function decodeBody(eml) {
  const [head, ...rest] = eml.split(/\r?\n\r?\n/);
  let body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head)) {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  } else if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return { head, body };
}

/** The verification link of the newest .eml addressed to `email` (waits for delivery). */
async function verificationLink(email) {
  const dir = path.join(DATA_DIR, 'outbox');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const files = fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().reverse()
      : [];
    for (const f of files) {
      const { head, body } = decodeBody(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (!head.toLowerCase().includes(email.toLowerCase())) continue;
      const m = body.match(/https?:\/\/[^\s]+\/verify\?token=[A-Za-z0-9_-]+/);
      if (m) return m[0];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no verification mail for ${email} in ${dir}`);
}

/** A bank or branch search answered in place by htmx: its results appear, the page does not navigate. */
async function searchInPlace(page, name, resultsId) {
  await page.evaluate(() => {
    window.__samePage = true;
  });
  const answer = page.waitForResponse((r) => r.request().headers()['hx-request'] === 'true');
  await page.getByRole('button', { name, exact: true }).click();
  await answer;
  await page.locator(`#${resultsId} .results`).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, `${name}: updated in place, no page load`);
}

// ---------- the walk ----------

async function enroll(page, program, person) {
  const label = program === 'small_enterprise' ? '小規模' : 'セーフティ';
  // The help page of enrollment is made from the 小規模 walk.
  const g = program === 'small_enterprise' ? guide('enrollment') : null;
  await page.getByRole('link', { name: new RegExp(`^${program === 'small_enterprise' ? '小規模企業共済' : '経営セーフティ共済'}.*に申し込む$`) }).click();
  assert.match(await page.locator('.step-label').innerText(), /ステップ1／5/);
  await scan(page, `${label} 1 申込者`);
  await g?.step(page, 'ステップ1：申込者のお名前、フリガナ、生年月日などを入力して「次へ」を押します。');

  // A second enrollment starts filled in from the first; a missing name is still caught.
  const familyName = page.getByLabel('氏名（姓）');
  assert.equal(await familyName.inputValue(), person.prefilled ?? '', 'pre-filled from the earlier application');
  if (person.prefilled) await familyName.fill('');

  // An empty step shows the error summary and messages next to the fields.
  await submit(page, '次へ（事業）');
  assert.equal(await page.locator('.error-summary').count(), 1);
  assert.ok((await page.locator('[aria-invalid="true"]').count()) > 0);
  await scan(page, `${label} 1 エラー表示`);
  await g?.step(page, '入力に誤りがあると、画面の上にまとめて表示され、それぞれの入力欄のすぐ上にも理由が出ます。');

  if (program === 'small_enterprise') await page.getByLabel('個人事業主').check();
  await page.getByLabel('氏名（姓）').fill(person.family);
  await page.getByLabel('氏名（名）').fill(person.given);
  await page.getByLabel('フリガナ（セイ）').fill(person.familyKana);
  await page.getByLabel('フリガナ（メイ）').fill(person.givenKana);
  await page.getByLabel('生年月日').fill(person.birth);
  await page.getByLabel('電話番号').fill('03-1234-5678');
  await submit(page, '次へ（事業）');

  assert.match(await page.locator('.step-label').innerText(), /ステップ2／5/);
  await scan(page, `${label} 2 事業`);
  await page.getByLabel('事業所名・屋号').fill(`${person.family}商店`);
  await page.getByLabel('事業の形態').selectOption('individual');
  await page.getByLabel('業種').selectOption('retail');
  await page.getByLabel('常時使用する従業員数（人）').fill('2');
  await page.getByLabel('事業を始めた日').fill('2012-10-01');
  await page.getByLabel('郵便番号').fill('100-0001');
  await submit(page, '住所を検索');
  assert.equal(await page.getByLabel('都道府県').inputValue(), '東京都');
  assert.equal(await page.getByLabel('市区町村').inputValue(), '千代田区');
  await scan(page, `${label} 2 住所検索後`);
  await g?.step(page, 'ステップ2：事業の情報を入力します。郵便番号を入れて「住所を検索」を押すと、住所が入ります。');
  const line = await page.getByLabel('町名・番地・建物名').inputValue();
  await page.getByLabel('町名・番地・建物名').fill(`${line}1-1`);
  // The size rule is checked at this step, not after the bank details.
  await page.getByLabel('常時使用する従業員数（人）').fill('１２０');
  await submit(page, '次へ（掛金）');
  assert.match(await page.locator('.step-label').innerText(), /ステップ2／5/);
  assert.match(await page.locator('.error-summary').innerText(), /従業員/);
  await page.getByLabel('常時使用する従業員数（人）').fill('2');
  await submit(page, '次へ（掛金）');

  assert.match(await page.locator('.step-label').innerText(), /ステップ3／5/);
  await scan(page, `${label} 3 掛金`);
  await g?.step(page, 'ステップ3：掛金月額と払込方法を選びます。');
  if (program === 'safety_net') {
    // Only monthly payment: said, not offered as a choice.
    assert.match(await page.locator('main').innerText(), /払込方法は月払です/);
    assert.equal(await page.locator('input[name="payment_frequency"]').count(), 0);
  }
  await page.getByLabel('掛金月額（円）').fill(person.premium);
  if (program === 'small_enterprise') await page.getByLabel('月払').check();
  await submit(page, '次へ（口座）');

  assert.match(await page.locator('.step-label').innerText(), /ステップ4／5/);
  await scan(page, `${label} 4 口座`);
  // A second enrollment starts with the earlier account; clear it to walk the search again.
  if (person.prefilled) {
    assert.notEqual(await page.getByLabel('金融機関コード（4桁）').inputValue(), '', 'account pre-filled');
    await page.getByLabel('金融機関コード（4桁）').fill('');
  }
  // Enter in a field submits the step (the hidden default button), not the bank search.
  await page.getByLabel('口座番号（7桁以内）').fill('1234567');
  await Promise.all([page.waitForLoadState('load'), page.getByLabel('口座番号（7桁以内）').press('Enter')]);
  assert.equal(await page.locator('.error-summary').count(), 1);
  assert.equal(await page.locator('.results').count(), 0);
  assert.equal(await page.getByLabel('口座番号（7桁以内）').inputValue(), '1234567', 'typed value kept');
  await scan(page, `${label} 4 エラー表示`);
  await page.getByLabel('金融機関名で探す').fill(person.bankQuery);
  await searchInPlace(page, '金融機関を検索', 'bank-results');
  await scan(page, `${label} 4 金融機関の検索結果`);
  await g?.step(page, 'ステップ4：掛金を引き落とす口座を登録します。金融機関名の一部を入れて検索し、一覧から選びます。支店も同じように選びます。');
  await page.locator('button[name="pick_bank"]').first().click();
  await page.waitForLoadState('load');
  assert.notEqual(await page.getByLabel('金融機関コード（4桁）').inputValue(), '');
  await page.getByLabel('支店名で探す').fill('');
  await searchInPlace(page, '支店を検索', 'branch-results');
  await scan(page, `${label} 4 支店の検索結果`);
  await page.locator('button[name="pick_branch"]').first().click();
  await page.waitForLoadState('load');
  assert.notEqual(await page.getByLabel('支店コード（3桁）').inputValue(), '');
  await page.getByLabel('普通').check();
  await page.getByLabel('口座番号（7桁以内）').fill('1234567');
  await page.getByLabel('口座名義（カナ）').fill(`${person.familyKana} ${person.givenKana}`);
  await submit(page, '次へ（確認）');

  assert.match(await page.locator('.step-label').innerText(), /ステップ5／5/);
  const review = await page.locator('main').innerText();
  assert.ok(review.includes(person.zengin), `Zengin kana ${person.zengin} shown back`);
  // Kana typed in hiragana or half-width is shown as the full-width katakana that was checked.
  assert.ok(review.includes('タカハシ'), 'フリガナ shown normalised');
  if (program === 'safety_net') assert.ok(!review.includes('副業'), 'no 小規模 criterion in the 倒産防止 declaration');
  await scan(page, `${label} 5 確認`);
  await g?.step(page, 'ステップ5：入力した内容を確認して申し込みます。');
  await page.getByLabel('申込内容は事実と相違ありません').check();
  await page.getByLabel('反社会的勢力に該当しません').check();
  await page.getByLabel(/加入資格を満たしています/).check();
  await submit(page, 'この内容で申し込む');

  assert.equal(await h1(page), 'ご加入手続きが完了しました');
  const main = await page.locator('main').innerText();
  assert.match(main, /共済契約者番号\s*\d{9}/);
  assert.match(main, /初回の引落日/);
  await scan(page, `${label} 結果`);
  await g?.step(page, '申込みが完了すると、共済契約者番号と最初の引落しの予定がその場で表示されます。');
  g?.finish();
  await page.getByRole('link', { name: 'マイページへ戻る' }).click();
  await scan(page, `マイページ（${label}加入後）`);
}

test('sign-up → verification → TOTP → enrollment in both programs, axe on every page', async () => {
  assert.ok(BASE && DATA_DIR, 'run through e2e/run.sh');
  const browser = await launch();
  try {
    const page = await phonePage(browser);

    await page.goto(`${BASE}/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await scan(page, 'トップ');

    // Sign-up: first with a weak password (message next to the field), then properly.
    const email = `e2e-${Date.now()}@example.jp`;
    await page.getByRole('link', { name: '新規登録' }).first().click();
    await scan(page, '新規登録');
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill('short');
    await submit(page, '登録して確認メールを受け取る');
    assert.match(await page.locator('#f-password-error').innerText(), /12文字以上/);
    await scan(page, '新規登録 エラー表示');
    await page.getByLabel('パスワード').fill('e2e password 2026!');
    await submit(page, '登録して確認メールを受け取る');
    assert.equal(await h1(page), '確認メールを送信しました');
    await scan(page, '確認メール送信');

    const link = await verificationLink(email);
    await page.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
    assert.equal(await h1(page), 'メールアドレスを確認しました');
    await scan(page, 'メール確認完了');

    await page.getByRole('link', { name: 'ログインする' }).click();
    await scan(page, 'ログイン');
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill('e2e password 2026!');
    await submit(page, '次へ');
    assert.equal(await h1(page), '二段階認証の設定');
    await scan(page, '二段階認証の設定');
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByLabel('確認コード（6桁）').fill(await freshCode(secret));
    await submit(page, '設定を完了する');
    assert.equal(await h1(page), 'マイページ');
    await scan(page, 'マイページ');

    await enroll(page, 'small_enterprise', {
      family: '高橋',
      given: '健一',
      familyKana: 'タカハシ',
      givenKana: 'ケンイチ',
      birth: '1980-06-15',
      premium: '30000',
      bankQuery: 'みずほ',
      zengin: 'ﾀｶﾊｼ ｹﾝｲﾁ',
    });
    await enroll(page, 'safety_net', {
      prefilled: '高橋',
      family: '高橋',
      given: '健一',
      familyKana: 'たかはし',
      givenKana: 'ｹﾝｲﾁ',
      birth: '1980-06-15',
      premium: '50000',
      bankQuery: 'ゆうちょ',
      zengin: 'ﾀｶﾊｼ ｹﾝｲﾁ',
    });
    const portal = await page.locator('main').innerText();
    assert.match(portal, /小規模企業共済/);
    assert.match(portal, /経営セーフティ共済/);
    assert.equal((portal.match(/次回の引落日/g) || []).length, 2);
    // The contracts' actions are touch targets of at least 44 px.
    const heights = await page
      .locator('main article a')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    assert.ok(heights.length >= 6, `contract actions: ${heights}`);
    assert.ok(heights.every((h) => h >= 44), `contract actions at least 44 px: ${heights}`);

    // Each contract's billing page, reached from the portal.
    for (const program of ['小規模企業共済', '経営セーフティ共済（中小企業倒産防止共済）']) {
      await Promise.all([
        page.waitForLoadState('load'),
        page.getByRole('link', { name: `${program}の請求と引落しの状況` }).click(),
      ]);
      assert.match(await h1(page), /掛金の請求と引落し/);
      assert.match(await page.locator('main').innerText(), /次回の引落し/);
      await scan(page, `請求と引落し（${program}）`);
      await page.goto(`${BASE}/portal`);
    }

    // The debit account change from the portal: errors, bank and branch search, confirmation
    // with the Zengin kana and the first debit date, done.
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('link', { name: '小規模企業共済の引落口座を変更する' }).click(),
    ]);
    assert.match(await h1(page), /引落口座の変更/);
    await scan(page, '引落口座の変更');
    const mandateGuide = guide('mandate_change');
    await mandateGuide.step(page, 'マイページの「引落口座を変更する」を開き、新しい口座の金融機関を名前で検索して選びます。');
    await page.getByLabel('口座番号（7桁以内）').fill('12345');
    await Promise.all([page.waitForLoadState('load'), page.getByLabel('口座番号（7桁以内）').press('Enter')]);
    assert.equal(await page.locator('.error-summary').count(), 1);
    assert.equal(await page.getByLabel('口座番号（7桁以内）').inputValue(), '12345', 'typed value kept');
    await scan(page, '引落口座の変更 エラー表示');
    await page.getByLabel('金融機関名で探す').fill('三井住友');
    await searchInPlace(page, '金融機関を検索', 'bank-results');
    await page.locator('button[name="pick_bank"]').first().click();
    await page.waitForLoadState('load');
    await page.getByLabel('支店名で探す').fill('');
    await searchInPlace(page, '支店を検索', 'branch-results');
    await scan(page, '引落口座の変更 支店の検索結果');
    await mandateGuide.step(page, '支店を検索して選び、口座の種類、口座番号、口座名義（カナ）を入力して「次へ（確認）」を押します。');
    await page.locator('button[name="pick_branch"]').first().click();
    await page.waitForLoadState('load');
    await page.getByLabel('普通').check();
    await page.getByLabel('口座番号（7桁以内）').fill('7654321');
    await page.getByLabel('口座名義（カナ）').fill('タカハシ　ケンイチ');
    await submit(page, '次へ（確認）');
    assert.match(await h1(page), /新しい引落口座の確認/);
    assert.ok((await page.locator('main').innerText()).includes('ﾀｶﾊｼ ｹﾝｲﾁ'), 'Zengin kana shown back');
    await scan(page, '引落口座の変更 確認');
    await mandateGuide.step(page, '登録される口座名義（銀行に届く形のカナ）を確認して「この口座に変更する」を押します。');
    await submit(page, 'この口座に変更する');
    assert.match(await h1(page), /引落口座を変更しました/);
    assert.match(await page.locator('main').innerText(), /の振替分からです/);
    await scan(page, '引落口座の変更 完了');
    await mandateGuide.step(page, '変更が完了しました。新しい口座から引き落とす最初の月が表示されます。');
    mandateGuide.finish();
    await page.goto(`${BASE}/portal`);

    // Log out, then the staff side: demo staff user, queue and one application.
    await submit(page, 'ログアウト');
    assert.match(await page.locator('.notice').innerText(), /ログアウトしました/);
    await scan(page, 'ログアウト後');
    await page.getByLabel('メールアドレス').fill('staff1@kyosai.example.jp');
    await page.getByLabel('パスワード').fill(DEMO_PASSWORD);
    await submit(page, '次へ');
    await scan(page, '確認コードの入力');
    // Other walks log staff1 in too, in other processes: a code used there in this 30-second
    // step is refused here (replay), so the next step's code is entered then.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await page.getByLabel('確認コード（6桁）').fill(await freshCode(DEMO_TOTP_SECRET));
      await submit(page, 'ログイン');
      if ((await page.getByLabel('確認コード（6桁）').count()) === 0) break;
    }
    assert.match(await h1(page), /審査一覧/);
    await scan(page, '審査一覧');
    await page.goto(`${BASE}/staff?status=completed`);
    assert.match(await h1(page), /完了の申込/);
    await scan(page, '審査一覧（完了）');
    await page.goto(`${BASE}/staff/search?q=${encodeURIComponent('高橋')}`);
    assert.match(await page.locator('main').innerText(), /検索結果（\d+件）/);
    await scan(page, '契約・会員の検索');
    await page.goto(`${BASE}/staff`);
    await page.locator('main a[href^="/staff/applications/"]').first().click();
    assert.match(await h1(page), /申込の審査/);
    await scan(page, '申込の審査');
    // Billing screens: run.sh billed the demo book for next month and imported bank results.
    await page.getByRole('link', { name: '請求・収納' }).click();
    assert.match(await h1(page), /請求・収納/);
    await scan(page, '請求・収納');
    assert.match(await page.locator('main').innerText(), /\.result/);
    await page.locator('main a[href^="/staff/billing/runs/"]').first().click();
    assert.match(await h1(page), /の請求処理/);
    const run = await page.locator('main').innerText();
    assert.match(run, /KYOSAI91_/);
    assert.match(run, /照合結果：一致/);
    await scan(page, '請求処理');
    await page.goto(`${BASE}/staff`);
    await page.getByRole('link', { name: /規則セット/ }).click();
    assert.equal(await h1(page), '規則セット');
    await scan(page, '規則セット');
    await page.getByLabel('規則ファイル（TOML）').setInputFiles({
      name: 'broken.toml',
      mimeType: 'application/toml',
      buffer: Buffer.from('id = "safety_net/2099-01-01"\n'),
    });
    await submit(page, '検証して承認待ちにする');
    assert.match(await page.locator('.error-summary').innerText(), /登録できませんでした/);
    await scan(page, '規則セット（エラー）');
    await page.goto(`${BASE}/no-such-page`);
    await scan(page, '404');
  } finally {
    await browser.close();
  }

  assertClean();
});
