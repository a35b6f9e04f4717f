// Layout checks at desktop width (1280×800), where the phone walk does not look: on the public
// pages controls in reading order and the footer in line with the page; on the staff billing
// screens nothing scrolls sideways and every table fits its column. Started by ./run.sh.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const BASE = process.env.E2E_BASE_URL;

test('desktop: top-page buttons in tab order, footer in line with the page', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    await page.goto(`${BASE}/`);
    // The buttons read (and are tabbed) left to right in the order of the page.
    const xs = await page
      .locator('main .actions a.button')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    assert.ok(xs.length >= 2, 'top page has its buttons');
    assert.deepEqual([...xs].sort((a, b) => a - b), xs, `buttons left to right in DOM order: ${xs}`);
    // The footer's text starts where the page's text starts.
    const mainLeft = await page.locator('main h1').evaluate((e) => e.getBoundingClientRect().left);
    const footLeft = await page
      .locator('.site-footer p')
      .first()
      .evaluate((e) => {
        const r = document.createRange();
        r.selectNodeContents(e);
        return r.getBoundingClientRect().left;
      });
    assert.ok(Math.abs(mainLeft - footLeft) < 1, `footer at ${footLeft}, page at ${mainLeft}`);
    // Browsers ask for the icon on every page: it is there.
    const icon = await page.request.get(`${BASE}/favicon.ico`);
    assert.equal(icon.status(), 200);
  } finally {
    await browser.close();
  }
});

// ---------- staff billing screens at 1280×800 ----------

const DEMO_PASSWORD = 'kyosai-demo-2026';
const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function base32Decode(input) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of input.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code of the current 30 s step. */
function totpNow(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** What does not fit: the page scrolling sideways, or a table wider than its own container. */
async function overflows(page) {
  return page.evaluate(() => {
    const problems = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) {
      problems.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    }
    for (const table of document.querySelectorAll('main table')) {
      const caption = table.querySelector('caption');
      const name = caption ? caption.innerText.trim() : '(no caption)';
      if (!caption) problems.push(`table without a caption`);
      const width = table.getBoundingClientRect().width;
      const room = table.parentElement.clientWidth;
      if (width > room + 1) problems.push(`${name}: ${Math.round(width)} px in ${room} px`);
    }
    return problems;
  });
}

test('desktop: the staff billing screens fit 1280 px without sideways scrolling', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
      locale: 'ja-JP',
      bypassCSP: true, // lets the test inject axe-core; the app itself sends a strict CSP
    });
    // staff2: the enrollment walk logs staff1 in, and a TOTP step is accepted once per user.
    await page.goto(`${BASE}/login`);
    await page.getByLabel('メールアドレス').fill('staff2@kyosai.example.jp');
    await page.getByLabel('パスワード').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '次へ' }).click();
    await page.getByLabel('確認コード（6桁）').fill(totpNow(DEMO_TOTP_SECRET));
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.waitForLoadState();

    const check = async (what) => {
      assert.deepEqual(await overflows(page), [], `${what} fits 1280 px`);
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(violations, [], `${what}: axe violations`);
    };
    // Runs and imports (run.sh billed next month and imported the bank's answers).
    await page.goto(`${BASE}/staff/billing`);
    assert.match(await page.locator('main h1').innerText(), /請求・収納/);
    assert.ok((await page.locator('main table').count()) >= 2, 'runs and imports listed');
    await check('請求・収納');
    // A run with its files, reconciliation and history.
    await page.locator('main a[href^="/staff/billing/runs/"]').first().click();
    assert.match(await page.locator('main h1').innerText(), /の請求処理/);
    await check('請求処理');
    // An upload that is refused (not a result file): the report of what was wrong.
    await page.goto(`${BASE}/staff/billing`);
    await page.locator('#result_file').setInputFiles({
      name: 'not-a-result.dat',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not a Zengin file\r\n'),
    });
    await page.getByRole('button', { name: '検査して取り込む' }).click();
    assert.match(await page.locator('main h1').innerText(), /取り込めませんでした/);
    await check('取込みの報告');
    // Failed debits by contract (the simulated bank failed about half of them).
    await page.goto(`${BASE}/staff/billing/failed`);
    assert.match(await page.locator('main h1').innerText(), /振替不能の契約/);
    assert.ok((await page.locator('main table tbody tr').count()) >= 1, 'failed debits listed');
    await check('振替不能の契約');
  } finally {
    await browser.close();
  }
});
