// The online-usage scorecard and the survey (issue #14): a demo member answers the survey of a
// completed application on a phone (390×844), staff read the scorecard with its charts and
// download the CSV at 1280×800; axe on every page, charts included. Started by ./run.sh.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BASE, demoLogin, h1, launch, phonePage, scanner, submit } from './lib.mjs';

test('member survey at 390×844 and the staff scorecard at 1280×800, axe clean', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const { scan, assertClean } = scanner('scorecard-');
  const browser = await launch();
  try {
    const page = await phonePage(browser);
    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'yamada@example.jp');
    assert.equal(await h1(page), 'マイページ');
    // The first completed application offers the survey.
    const links = await page
      .locator('main a[href^="/applications/"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    assert.ok(links.length > 0, 'the demo member has applications');
    let survey = null;
    for (const href of links) {
      await page.goto(`${BASE}${href}`);
      const link = page.getByRole('link', { name: 'アンケートに答える' });
      if ((await link.count()) > 0) {
        await scan(page, 'application-with-survey');
        survey = await link.getAttribute('href');
        break;
      }
    }
    assert.ok(survey, 'a completed application links its survey');
    await page.goto(`${BASE}${survey}`);
    assert.equal(await h1(page), '手続きについてのアンケート');
    await scan(page, 'survey');
    await submit(page, '回答を送る');
    assert.match(await page.locator('.error-summary').innerText(), /満足度を1から5の中から選んでください/);
    await scan(page, 'survey-error');
    await page.getByLabel('5　とても満足').check();
    await page.getByLabel(/ご意見・ご要望/).fill('スマートフォンで最後まで手続きできました。');
    await submit(page, '回答を送る');
    assert.equal(await h1(page), 'ご回答ありがとうございました');
    await scan(page, 'survey-done');

    const desk = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP', bypassCSP: true });
    desk.setDefaultTimeout(15_000);
    await desk.goto(`${BASE}/login`);
    await demoLogin(desk, 'staff1@kyosai.example.jp');
    await desk.goto(`${BASE}/staff/scorecard`);
    assert.equal(await h1(desk), 'オンライン利用率（スコアカード）');
    assert.equal(await desk.locator('svg.chart[role="img"]').count(), 4);
    // The answer above is counted among online users.
    assert.match(await desk.locator('main').innerText(), /オンラインで手続きした方\s*満足度 平均/);
    // Nothing scrolls sideways at desktop width (wide tables scroll inside their region).
    const overflow = await desk.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the window by ${overflow}px`);
    await scan(desk, 'staff-scorecard');
    const csvHref = await desk.getByRole('link', { name: 'この期間の数値をCSVでダウンロード' }).getAttribute('href');
    const csv = await desk.request.get(`${BASE}${csvHref}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /"small_enterprise","小規模企業共済","enrollment","all"/);
    await desk.goto(`${BASE}/staff/scorecard?from=2026-13&to=2026-11`);
    await scan(desk, 'staff-scorecard-error');
    assertClean();
  } finally {
    await browser.close();
  }
});
