// Paper forms from the BPO contractor at 1280×800 (issue #14 item 1): the demo staff1 uploads a
// refused batch (the report, nothing stored), then a good one whose form has a field read with
// low OCR confidence; opens the double-entry screen (the scanned image beside the field to key),
// keys the field once, and is then told they cannot verify their own keying. axe on every page.
// Started by ./run.sh.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, demoLogin, launch, scanner } from './lib.mjs';

// A 40×30 grey PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAKElEQVR4nO3NMQEAAAwCIPt3tIsxtgMKkB6JWCwWi8VisVgsFov/xgMBNySFIFD0YAAAAABJRU5ErkJggg==',
  'base64',
);

const field = (value, confidence = 0.99) => ({ value, confidence });

function batch(id, image) {
  return Buffer.from(
    JSON.stringify({
      format: 'kyosai-paper-batch/1',
      batch_id: id,
      forms: [
        {
          form_id: 'E2E-1',
          procedure: 'enrollment',
          member_email: 'suzuki@example.jp',
          agency_code: null,
          image: { base64: image.toString('base64') },
          fields: {
            program: field('safety_net'),
            family_name: field('鈴木'),
            given_name: field('花子'),
            phone: field('03-9876-5432', 0.41),
          },
        },
      ],
    }),
    'utf8',
  );
}

/** Logs staff1 in (retrying on the next TOTP step when another walk used this one). */
async function staffLogin(page) {
  await page.goto(`${BASE}/login`);
  await demoLogin(page, 'staff1@kyosai.example.jp');
}

test('paper: batch upload and the double-entry screen at 1280×800', async () => {
  assert.ok(BASE, 'run through e2e/run.sh');
  const browser = await launch();
  const { scan, assertClean } = scanner('paper');
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'ja-JP',
      bypassCSP: true, // lets the test inject axe-core; the app itself sends a strict CSP
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await staffLogin(page);

    await page.goto(`${BASE}/staff/paper`);
    assert.match(await page.locator('main h1').innerText(), /紙の申込書/);
    await scan(page, 'paper list');

    // A batch whose "image" is a PDF: refused with the report, nothing listed.
    await page.getByLabel('バッチファイル（UTF-8 の JSON）').setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: batch('E2E-BAD', Buffer.from('%PDF-1.7 not an image')),
    });
    await page.getByRole('button', { name: '検証して取り込む' }).click();
    await page.waitForLoadState();
    await page.getByText('バッチ全体の取込みを中止しました').waitFor();
    assert.match(await page.locator('main table').first().innerText(), /forms\[0\]\.image/);
    assert.equal(await page.getByRole('link', { name: 'E2E-1' }).count(), 0);
    await scan(page, 'paper refused');

    // A good batch: the low-confidence phone waits for double entry.
    await page.getByLabel('バッチファイル（UTF-8 の JSON）').setInputFiles({
      name: 'good.json',
      mimeType: 'application/json',
      buffer: batch(`E2E-${Date.now()}`, PNG),
    });
    await page.getByRole('button', { name: '検証して取り込む' }).click();
    await page.waitForLoadState();
    await page.getByText('取り込みました').waitFor();
    await scan(page, 'paper imported');

    await page.getByRole('link', { name: 'E2E-1' }).first().click();
    await page.waitForLoadState();
    assert.match(await page.locator('main h1').innerText(), /ダブル入力/);
    const img = page.locator('main figure img');
    assert.ok(await img.evaluate((e) => e.complete && e.naturalWidth > 0), 'the scan is shown');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no sideways scrolling at 1280 px');
    await scan(page, 'paper verification');

    await page.getByLabel(/電話番号/).fill('03-9876-5432');
    await page.getByRole('button', { name: '入力を記録する' }).click();
    await page.waitForLoadState();
    await page.getByText('入力を記録しました').waitFor();
    await page.getByText('ご自身の入力は検証できない').waitFor();
    assert.equal(await page.getByRole('button', { name: '入力を記録する' }).count(), 0);
    await scan(page, 'paper keyed once');
  } finally {
    await browser.close();
  }
  assertClean();
});
