/**
 * What a newcomer does after `npm start`: open the printed demo page twice, join, publish the
 * camera in one tab and watch it in the other — through the real all-in-one server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type HeadlessChromium, launchChromium } from '../support/chromium.js';
import { type CliProcess, startCli } from '../support/cli-process.js';

describe('demo page on the all-in-one server', { timeout: 120_000 }, () => {
  let server: CliProcess | undefined;
  let chromium: HeadlessChromium | undefined;
  after(async () => {
    await chromium?.close();
    await server?.stop();
  });

  it('tab B watches the camera tab A publishes, and the mixed view it is mixed into', async () => {
    server = startCli(['all-in-one'], {
      MEDIASPREAD_LOG_LEVEL: 'warn',
      MEDIASPREAD__store__dataDir: mkdtempSync(join(tmpdir(), 'mediaspread-demo-')),
      MEDIASPREAD__managementApi__port: '0',
      MEDIASPREAD__portal__port: '0',
      MEDIASPREAD__demo__port: '0',
    });
    await server.waitFor('Ctrl-C stops it.', 60_000);
    const demo = /Demo page: (\S+)/.exec(server.output())?.[1];
    assert.ok(demo, server.output());
    chromium = await launchChromium();
    const [a, b] = [await chromium.context.newPage(), await chromium.context.newPage()];
    for (const [page, user] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      await page.goto(demo);
      await page.fill('#user', user);
      await page.click('#join');
    }
    await a.waitForFunction("!document.querySelector('#publish').disabled", null, { timeout: 20_000 });
    await a.click('#publish');
    await a.waitForFunction(
      "document.querySelector('#log').textContent.includes('publishing as stream')",
      null,
      {
        timeout: 20_000,
      },
    );
    // The forward stream (the room also lists its mixed view, which shows A too once mixed).
    const watch = b.locator('#streams li', { hasText: 'forward' }).locator('button', { hasText: 'Watch' });
    await watch.first().waitFor({ timeout: 20_000 });
    await watch.first().click();
    // Page code as strings: the root tsconfig has no DOM types.
    const decoded =
      "[...document.querySelectorAll('video')].some((v) => v.videoWidth === 640 && v.videoHeight === 480)";
    try {
      await b.waitForFunction(decoded, null, { timeout: 20_000 });
    } catch (err) {
      const log = await b.textContent('#log');
      throw new Error(`B never showed A's camera at 640x480; its log:\n${log}`, { cause: err });
    }
    // A's publication was mixed into the room's view (the demo's default): B watches the mixed
    // stream too, composed by the all-in-one server's video mixer at the view's 640x480.
    await a.waitForFunction(
      "document.querySelector('#log').textContent.includes('mixed into common')",
      null,
      {
        timeout: 20_000,
      },
    );
    await b.locator('#streams li', { hasText: 'mixed' }).locator('button', { hasText: 'Watch' }).click();
    const both =
      "[...document.querySelectorAll('video')].filter((v) => v.videoWidth === 640 && v.videoHeight === 480).length >= 2";
    try {
      await b.waitForFunction(both, null, { timeout: 30_000 });
    } catch (err) {
      const log = await b.textContent('#log');
      throw new Error(`B never showed the mixed view at 640x480; its log:\n${log}`, { cause: err });
    }
  });
});
