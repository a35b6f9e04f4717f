// Layout checks at desktop width (1280×800) on the public pages, where the phone walk does not
// look: controls in reading order, the footer in line with the page. Started by ./run.sh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

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
