// The contact center console at 1280×800 (issue #14 item 2): staff1 finds the demo member 佐藤 by
// the kana of her name, asks the identity checklist (a wrong answer shows nothing of the
// contract), sees her contracts, procedures, debits and notices once identified, and mails her
// the link to an online procedure. axe on every page. Started by ./run.sh. 佐藤 is used because
// no other walk changes her registered details.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, demoLogin, launch, scanner, submit } from './lib.mjs';

test('contact center: search, identity checklist, caller view and a link mail at 1280×800', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  const { scan, assertClean } = scanner('contact');
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'ja-JP',
      bypassCSP: true, // lets the test inject axe-core; the app itself sends a strict CSP
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'staff1@kyosai.example.jp');

    await page.goto(`${BASE}/staff/contact`);
    await scan(page, 'console');
    await page.getByLabel(/カナ/).fill('さとう はなこ');
    await submit(page, '検索する');
    const hit = page.locator('li.card', { hasText: '小規模企業共済' }).filter({ hasText: '佐藤' }).first();
    await hit.waitFor();
    await scan(page, 'search by kana');
    await Promise.all([
      page.waitForLoadState('load'),
      hit.getByRole('link', { name: '本人確認をして契約の内容を見る' }).click(),
    ]);
    assert.match(await page.locator('main h2').first().innerText(), /ご本人の確認/);
    assert.ok(!(await page.locator('main').innerText()).includes('佐藤商店'), 'nothing shown before the check');
    await scan(page, 'checklist');

    // A wrong phone and no account digits: not identified, nothing shown.
    await page.getByLabel(/お名前/).fill('佐藤　花子');
    await page.getByLabel('ご登録の郵便番号').fill('100-0001');
    await page.getByLabel('ご登録の電話番号').fill('090-1111-2222');
    await submit(page, '照合する');
    assert.match(await page.locator('[role="alert"]').first().innerText(), /本人確認ができませんでした/);
    await scan(page, 'checklist refused');

    await page.getByLabel('ご登録の電話番号').fill('03-1234-5678');
    await submit(page, '照合する');
    const view = await page.locator('main').innerText();
    assert.match(view, /この方の契約/);
    assert.match(view, /佐藤/);
    assert.match(view, /最近の引落し/);
    await scan(page, 'caller view');

    await page.getByLabel('ご案内する手続き').selectOption({ label: '登録内容の変更' });
    await submit(page, 'メールを送る');
    assert.match(await page.locator('[role="status"]').innerText(), /「登録内容の変更」のご案内をメールで送りました/);
    await scan(page, 'link sent');
  } finally {
    await browser.close();
  }
  assertClean();
});
