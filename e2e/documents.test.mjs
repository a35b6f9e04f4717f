// Documents at 390×844 (issue #13): the demo member 山田 downloads this year's and last year's
// 小規模企業共済掛金控除証明書 from the contract's billing page, then opens the contract's
// documents (the letters Kyosai sent, each with its document number) and downloads one; each
// download is a PDF. axe on every page. Started by ./run.sh. Read-only apart from issuing the
// certificates' numbers, so it runs beside the walks that file procedures for 山田.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { BASE, demoLogin, h1, launch, phonePage, scanner } from './lib.mjs';

/** Clicks the link `name` and returns the downloaded file's bytes. */
async function download(page, name) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name }).click(),
  ]);
  return fs.readFileSync(await file.path());
}

test('certificates and letters download as PDFs at 390×844, axe on every page', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  const { scan, assertClean } = scanner('documents');
  try {
    const page = await phonePage(browser);
    await page.goto(`${BASE}/login`);
    await demoLogin(page, 'yamada@example.jp');
    const href = await page.getByRole('link', { name: '小規模企業共済の請求と引落しの状況' }).getAttribute('href');
    await page.goto(`${BASE}${href}`);
    await scan(page, '請求と引落し');

    // This year's and last year's certificate (the demo book has premiums collected in both; in
    // January, before the year's first debit, last year's and the year before).
    const links = page.getByRole('link', { name: /年分の掛金控除証明書（PDF）をダウンロード/ });
    const names = await links.allInnerTexts();
    const years = names.map((n) => Number(n.slice(0, 4)));
    const thisYear = Number(new Date().toLocaleString('en-US', { timeZone: 'Asia/Tokyo', year: 'numeric' }));
    assert.equal(years.length, 2, names.join(' / '));
    assert.ok(years[0] === thisYear || years[0] === thisYear - 1, names.join(' / '));
    assert.equal(years[1], years[0] - 1);
    for (const name of names) {
      const pdf = await download(page, name);
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', `${name}: a PDF`);
      assert.ok(pdf.length > 10_000, `${name}: a whole page (${pdf.length} bytes)`);
    }

    // The contract's documents: the letters, and the certificates just issued, newest first.
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('link', { name: '書類（通知書・証明書）を見る' }).click(),
    ]);
    assert.equal(await h1(page), '書類（通知書・証明書）');
    const listed = await page.locator('main').innerText();
    assert.match(listed, /共済契約締結証書/);
    assert.match(listed, /掛金控除証明書/);
    assert.match(listed, /KD-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    await scan(page, '書類');
    const letter = await download(page, '共済契約締結証書（PDF）をダウンロード');
    assert.equal(letter.subarray(0, 5).toString(), '%PDF-');
  } finally {
    await browser.close();
  }
  assertClean();
});
