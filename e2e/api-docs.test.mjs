// The API documentation page: /api/v1/docs must load /api/v1/openapi.json and show the
// operations (it once said "No API definition provided"). Started by ./run.sh.
// No axe scan here: the page is the vendored Swagger UI, third-party markup we do not maintain;
// our own pages are scanned in member-enrollment.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.E2E_BASE_URL;

test('the API docs page shows the operations of /api/v1', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${BASE}/api/v1/docs/`);
    // Swagger UI renders each operation as an .opblock with its path.
    const enrollments = page
      .locator('.opblock-summary-path', { hasText: /^\/api\/v1\/enrollments$/ })
      .first();
    await enrollments.waitFor();
    assert.equal(await page.getByText('No API definition provided').count(), 0);
    assert.match(await page.locator('.info .title').innerText(), /Kyosai API/);
    // An operation opens with its typed request body.
    await enrollments.click();
    await page.getByText('EnrollmentForm').first().waitFor();
  } finally {
    await browser.close();
  }
});
