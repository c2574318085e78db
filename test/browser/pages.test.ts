/**
 * The web pages in a real browser (Debian's chromium driven by playwright-core) against a real
 * server: the admin creates a user with a remote destination, the live calls view shows a SIPp
 * call that SNR forked to that destination, the user logs in to self-care and turns SNR off, and
 * a second SIPp call shows that the destination is no longer forked. Screenshots of every page
 * go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMessages } from '../e2e/harness/messages.js';
import { freePorts } from '../e2e/harness/ports.js';
import { runSipp, startSippServer } from '../e2e/harness/sipp.js';
import { registerContact, startTestServer, type TestServer } from '../e2e/server-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ADMIN = { username: 'webadmin', password: 'web-admin-pass-1' };
const CAROL = { username: 'U7', password: 'carol-pass-1' };
const CAROL_RD = '+14085550777';
const X_DID = '4085552999'; // line L2000 (fixture F's X), shared by Carol's RD profile below

let ts: TestServer;
let ctx: BrowserContext;
let page: Page;
let profileDir: string;
let base: string;
let gwPort: number;
let pstnPort: number;
let d3Port: number;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: scripts/ensure-deps.sh --test installs the Debian package chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  [gwPort, pstnPort, d3Port] = await freePorts(3);
  // Bootstrap the first administrator the documented way (environment, read by startHttp).
  process.env.MA_ADMIN_USER = ADMIN.username;
  process.env.MA_ADMIN_PASSWORD = ADMIN.password;
  try {
    ts = await startTestServer({ trunkPort: gwPort, trunkAlternatePorts: [pstnPort], anchor: false });
  } finally {
    delete process.env.MA_ADMIN_USER;
    delete process.env.MA_ADMIN_PASSWORD;
  }
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  base = `http://127.0.0.1:${ts.server.httpPort}`;
  profileDir = mkdtempSync(join(tmpdir(), 'ma-chromium-'));
  ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // --user-data-dir: playwright passes the fresh profileDir above.
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('dialog', (d) => void d.accept());
  page.setDefaultTimeout(15_000);
  if (process.env.BROWSER_LOG) page.on('console', (m) => console.log('[page]', m.type(), m.text()));
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await ts?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function login(creds: { username: string; password: string }, landing: string): Promise<void> {
  await page.goto(`${base}/ui/login.html`);
  await page.getByLabel('Username').fill(creds.username);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${landing}`);
}

async function tab(name: string, id: string) {
  await page.getByRole('tab', { name }).click();
  const panel = page.locator(`#panel-${id}`);
  await panel.locator('table caption').first().waitFor();
  return panel;
}

/** A PSTN call to X's DID through gateway T, with T's primary port and desk D3 played by SIPp. */
async function pstnCall(o: { gwScenario: string; durationMs: number; during?: () => Promise<void> }) {
  const [gw, desk] = await Promise.all([startSippServer({ scenario: o.gwScenario, port: gwPort }), startSippServer({ scenario: 'uas-noanswer', port: d3Port })]);
  const caller = runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: X_DID, set: { from: '9725553456' }, durationMs: o.durationMs, timeoutS: 20 });
  await o.during?.();
  const r = await caller;
  const [g, d] = await Promise.all([gw.stop(), desk.stop()]);
  return { caller: r, rdInvites: findMessages(g.parsed, { direction: 'received', method: 'INVITE' }).filter((m) => m.startLine.includes(`sip:${CAROL_RD}@`)), deskInvites: findMessages(d.parsed, { direction: 'received', method: 'INVITE' }) };
}

describe('web pages (chromium)', () => {
  it('admin: log in, create a user with a remote destination', { timeout: 120_000 }, async () => {
    await login(ADMIN, '/ui/admin.html');
    let panel = await tab('Users', 'users');
    await panel.locator('[name="userId"]').fill(CAROL.username);
    await panel.locator('[name="displayName"]').fill('Carol');
    await panel.locator('[name="enableMobility"]').check();
    await panel.locator('[name="timeZone"]').fill('America/Los_Angeles');
    await panel.locator('[name="webPassword"]').fill(CAROL.password);
    await panel.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.getByRole('status').first().textContent()).toContain('user created');
    await panel.getByRole('cell', { name: 'Carol', exact: true }).waitFor();

    // A validation error names the field next to the input.
    await panel.locator('[name="userId"]').fill('U8');
    await panel.locator('[name="maxWaitTimeForDeskPickupMs"]').fill('99999');
    await panel.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.locator('[name="maxWaitTimeForDeskPickupMs"]').getAttribute('aria-invalid')).toBe('true');
    expect(ts.server.directory.users.get('U8')).toBeUndefined();
    await panel.getByRole('button', { name: 'Cancel' }).click();

    panel = await tab('RD profiles', 'rd-profiles');
    await panel.locator('[name="id"]').fill('P7');
    await panel.locator('[name="name"]').fill('Carol RD profile');
    await panel.locator('[name="ownerUser"]').selectOption('U7');
    await panel.locator('[name="lines"]').selectOption(['L2000']);
    await panel.locator('[name="rerouteCss"]').selectOption('CSS-all');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('cell', { name: 'Carol RD profile' }).waitFor();

    panel = await tab('Remote destinations', 'remote-destinations');
    await panel.locator('[name="parent"]').selectOption('rdProfile:P7');
    await panel.locator('[name="id"]').fill('RD7');
    await panel.locator('[name="name"]').fill('Carol mobile');
    await panel.locator('[name="number"]').fill(CAROL_RD);
    await panel.locator('[name="delayBeforeRingingMs"]').fill('0');
    await panel.locator('[name="answerTooSoonMs"]').fill('0');
    await panel.locator('[name="answerTooLateMs"]').fill('10000');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('cell', { name: CAROL_RD }).waitFor().catch(async (e: Error) => {
      throw new Error(`${e.message}\nform says: ${await panel.locator('form .status').textContent()}`);
    });
    expect(ts.server.directory.remoteDestinations.get('RD7')).toMatchObject({ ownerUser: 'U7', enableSnr: true, number: CAROL_RD, delayBeforeRingingMs: 0 });

    // The time-of-day editor: a ring schedule for Carol, weekdays 08:30-17:00.
    panel = await tab('Access lists & schedules', 'access');
    const sched = panel.locator('form').nth(1);
    await sched.locator('[name="name"]').fill('Carol office hours');
    await sched.locator('[name="ownerUser"]').selectOption('U7');
    await sched.getByRole('button', { name: 'Add time range' }).click();
    await sched.getByLabel('Start of entry 1').fill('08:30');
    await page.screenshot({ path: join(ARTIFACTS, 'admin.png'), fullPage: true });
    await sched.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('cell', { name: 'Carol office hours' }).waitFor();
    expect(ts.server.directory.ringSchedules.list('U7').map((x) => x.entries)).toEqual([[{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:30', end: '17:00' }]]);
    panel = await tab('Parameters', 'parameters');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-parameters.png'), fullPage: true });
    const audit = ts.server.directory.db.prepare("SELECT actor, action, entity FROM audit_log WHERE actor = 'webadmin' AND ok = 1 ORDER BY id").all();
    expect(audit).toEqual(
      expect.arrayContaining([
        { actor: 'webadmin', action: 'create', entity: 'users' },
        { actor: 'webadmin', action: 'create', entity: 'rd-profiles' },
        { actor: 'webadmin', action: 'create', entity: 'remote-destinations' },
      ]),
    );
  });

  it('live calls view: a SIPp call forked by SNR to the new destination shows up, then goes', { timeout: 90_000 }, async () => {
    await page.goto(`${base}/ui/calls.html`);
    await expect.poll(() => page.locator('#count').textContent()).toBe('0 active calls');
    const r = await pstnCall({
      gwScenario: 'uas-basic',
      durationMs: 3000,
      during: async () => {
        const row = page.locator('tr[data-call]');
        await row.first().waitFor({ timeout: 15_000 });
        await expect.poll(() => row.first().textContent(), { timeout: 10_000 }).toContain('connected');
        await page.screenshot({ path: join(ARTIFACTS, 'calls.png'), fullPage: true });
      },
    });
    expect(r.caller.code, r.caller.describe()).toBe(0);
    expect(r.rdInvites).toHaveLength(1);
    await expect.poll(() => page.locator('#count').textContent(), { timeout: 10_000 }).toBe('0 active calls');
  });

  it('self-care: the user logs in and turns SNR off for the destination', { timeout: 90_000 }, async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/login.html');
    await login(CAROL, '/ui/self-care.html');
    const sw = page.getByLabel('Ring Carol mobile');
    await expect.poll(() => sw.isChecked()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'self-care.png'), fullPage: true });
    await sw.uncheck();
    await expect.poll(() => page.locator('#snr-status').textContent()).toContain('Single Number Reach off for Carol mobile');
    expect(ts.server.directory.remoteDestinations.get('RD7')!.enableSnr).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'self-care-snr-off.png'), fullPage: true });
    const last = ts.server.directory.db.prepare('SELECT actor, role, action, entity_id FROM audit_log ORDER BY id DESC LIMIT 1').get();
    expect(last).toEqual({ actor: 'U7', role: 'user', action: 'snr-off', entity_id: 'RD7' });
    // The user cannot open the admin page.
    await page.goto(`${base}/ui/admin.html`);
    await page.waitForURL('**/ui/self-care.html');
  });

  it('SIPp: with SNR off the destination is no longer forked (the desk still rings)', { timeout: 60_000 }, async () => {
    ts.server.directory.lines.update('L2000', { noAnswerRingDurationS: 2 });
    const r = await pstnCall({ gwScenario: 'uas-basic', durationMs: 300 });
    expect(r.deskInvites.length, r.caller.describe()).toBe(1);
    expect(r.rdInvites).toHaveLength(0);
  });
});
