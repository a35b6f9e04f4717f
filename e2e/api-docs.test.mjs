// The API documentation page: the Swagger UI loads the OpenAPI document and lists the
// operations (it once said "No API definition provided"). Started by ./run.sh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.E2E_BASE_URL;

test('API docs page shows the operations of /api/v1', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${BASE}/api/v1/docs/`);
    const op = page.locator('.opblock-summary-path', { hasText: '/api/v1/enrollments' }).first();
    await op.waitFor({ timeout: 15000 });
    assert.ok(await op.isVisible(), 'the enrollment operation is listed');
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes('No API definition provided'), 'the document was loaded');
  } finally {
    await browser.close();
  }
});
