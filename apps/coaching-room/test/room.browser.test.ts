import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { freePort, REPO_ROOT, SERVER_MAIN, startServer, tempDir, type ServerProcess } from '@cinder/testkit';
import { TcpGate } from './tcp-gate';

/**
 * The coaching room end to end: the built page, served by the real channel
 * server (dev mode, embedded store), driven in Debian's Chromium. A coach on
 * a desktop-sized window and a student on a phone-sized one share a session.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOM_INDEX = join(REPO_ROOT, 'apps/coaching-room/dist/index.html');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SESSION = `lesson-${process.pid}-${Date.now().toString(36)}`;
const API_KEY = 'coaching-room-test-api-key';
/** More than one join reply holds (CONTRACT §5.1 caps a `since` catch-up at 500). */
const LONG_ABSENCE_MESSAGES = 520;

let dataDir = '';
let port = 0;
let server: ServerProcess | null = null;
let gate: TcpGate | null = null;
let browser: Browser | null = null;
let coachContext: BrowserContext;
let studentContext: BrowserContext;
let coach: Page;
let student: Page;
const pageErrors: string[] = [];
/** The student's `phx_join` payloads for the session, read off the WebSocket (observed, not altered). */
const studentSessionJoins: Array<Record<string, unknown>> = [];

function startRoomServer(): Promise<ServerProcess> {
  // As `pnpm start` runs it: embedded store under DATA_DIR (a restart reuses it), and no
  // JWT_SECRET, so dev mode: the page fetches /dev/token and can simulate an analysis.
  return startServer(
    { DATA_DIR: dataDir, JWT_SECRET: undefined, JWT_PUBLIC_KEY: undefined, SERVER_API_KEY: API_KEY },
    { port, store: 'pglite' },
  );
}

function timeline(page: Page): Locator {
  return page.locator('[data-testid=timeline]');
}

function message(page: Page, text: string): Locator {
  return timeline(page).locator('[data-testid=message]', { hasText: text });
}

async function joinRoom(page: Page, baseUrl: string, role: 'coach' | 'student', name: string): Promise<void> {
  await page.goto(`${baseUrl}/?session=${encodeURIComponent(SESSION)}`);
  await page.check(`[data-testid=role-${role}]`);
  await page.fill('[data-testid=join-name]', name);
  await page.click('[data-testid=join-submit]');
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor();
}

async function send(page: Page, text: string, type?: string): Promise<void> {
  if (type) await page.selectOption('[data-testid=composer-type]', type);
  await page.fill('[data-testid=composer-input]', text);
  await page.press('[data-testid=composer-input]', 'Enter');
  await message(page, text).waitFor();
}

/** Which side of the conversation a message's bubble actually sits on, from the rendered layout. */
async function sideOf(page: Page, item: string | Locator): Promise<'left' | 'right' | 'center'> {
  const row = typeof item === 'string' ? message(page, item) : item;
  const bubble = await row.locator('.bubble, .system-text').first().boundingBox();
  const list = await timeline(page).boundingBox();
  if (!bubble || !list) throw new Error('the message is not laid out');
  const leftGap = bubble.x - list.x;
  const rightGap = list.x + list.width - (bubble.x + bubble.width);
  if (Math.abs(leftGap - rightGap) < 8) return 'center';
  return leftGap > rightGap ? 'right' : 'left';
}

async function messageIds(page: Page): Promise<string[]> {
  return timeline(page)
    .locator('[data-testid=message][data-message-id]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id') ?? ''));
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `coaching-room-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  for (const [what, path, fix] of [
    ['the built channel server', SERVER_MAIN, 'run `pnpm build`'],
    ['the built coaching room', ROOM_INDEX, 'run `pnpm build`'],
    ['Chromium', CHROMIUM, 'run `apt-get install -y chromium`'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: ${fix}`);
  }
  dataDir = tempDir('cinder-room-');
  port = await freePort();
  server = await startRoomServer();
  // The student reaches the server through a relay the test can shut, like a network outage.
  gate = await TcpGate.start(port);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  coachContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  studentContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  coach = await coachContext.newPage();
  student = await studentContext.newPage();
  for (const page of [coach, student]) watch(page);
  student.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string') return;
      const frame = JSON.parse(payload) as unknown;
      // V2 serializer: [join_ref, ref, topic, event, payload]
      if (Array.isArray(frame) && frame[2] === `session:${SESSION}` && frame[3] === 'phx_join') studentSessionJoins.push(frame[4]);
    }),
  );
}, 45_000);

/** Uncaught errors in the page fail the test that caused them. */
function watch(page: Page): void {
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
}

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await gate?.stop().catch(() => undefined);
  await server?.kill().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

it('lets a coach and a student join the same session and see each other in presence', async () => {
  await joinRoom(coach, server!.url, 'coach', 'Ian Pro');
  await joinRoom(student, `http://127.0.0.1:${gate!.port}`, 'student', 'Sam');

  await coach.locator('[data-testid=presence-item][data-role=student]', { hasText: 'Sam' }).waitFor();
  await student.locator('[data-testid=presence-item][data-role=coach]', { hasText: 'Ian Pro' }).waitFor();
  await coach.locator('[data-testid=presence-item][data-role=coach]', { hasText: '(you)' }).waitFor();

  // A second tab of the same student is the same person: listed once, with two tabs.
  const secondTab = await studentContext.newPage();
  watch(secondTab);
  await joinRoom(secondTab, `http://127.0.0.1:${gate!.port}`, 'student', 'Sam');
  const studentRow = coach.locator('[data-testid=presence-item][data-role=student]');
  await studentRow.filter({ hasText: '2 tabs' }).waitFor();
  expect(await studentRow.count()).toBe(1);
  await secondTab.close();
  await studentRow.filter({ hasText: '2 tabs' }).waitFor({ state: 'detached' });
  expect(await studentRow.count()).toBe(1);

  // Students get no session controls; coaches do.
  expect(await student.locator('[data-testid=coach-controls]').isVisible()).toBe(false);
  expect(await coach.locator('[data-testid=coach-controls]').isVisible()).toBe(true);
  for (const page of [coach, student]) {
    expect(await page.locator('[data-testid=session-status]').getAttribute('data-status')).toBe('waiting');
  }
}, 30_000);

it('carries chat both ways, own messages on the right and the others on the left', async () => {
  await send(student, 'My driver face keeps opening at impact.');
  await message(coach, 'My driver face keeps opening at impact.').waitFor();
  expect(await message(student, 'My driver face keeps opening at impact.').getAttribute('data-kind')).toBe('own');
  expect(await sideOf(student, 'My driver face keeps opening at impact.')).toBe('right');
  expect(await message(coach, 'My driver face keeps opening at impact.').getAttribute('data-kind')).toBe('other');
  expect(await sideOf(coach, 'My driver face keeps opening at impact.')).toBe('left');

  // The others see you typing.
  await coach.fill('[data-testid=composer-input]', 'Try a slightly');
  await student.locator('[data-testid=typing-indicator]', { hasText: 'Ian Pro is typing' }).waitFor();

  await send(coach, 'Try a slightly stronger grip at address.', 'coach_tip');
  await message(student, 'Try a slightly stronger grip at address.').waitFor();
  expect(await sideOf(coach, 'Try a slightly stronger grip at address.')).toBe('right');
  expect(await sideOf(student, 'Try a slightly stronger grip at address.')).toBe('left');
  expect(await message(student, 'Try a slightly stronger grip at address.').getAttribute('data-type')).toBe('coach_tip');
  expect(await message(student, 'Try a slightly stronger grip at address.').textContent()).toContain('Tip');
  // Sending ends the typing notice.
  await student.locator('[data-testid=typing-indicator]', { hasText: 'typing' }).waitFor({ state: 'detached' });

  // Edit and delete your own messages; nobody else's edit button shows up.
  expect(await message(student, 'Try a slightly stronger grip').locator('[data-testid=message-edit]').count()).toBe(0);
  const own = message(student, 'My driver face keeps opening at impact.');
  await own.locator('[data-testid=message-edit]').click();
  await student.fill('[data-testid=message-edit-input]', 'My driver face stays open at impact.');
  await student.press('[data-testid=message-edit-input]', 'Enter');
  const edited = message(coach, 'My driver face stays open at impact.');
  await edited.locator('[data-testid=message-edited]').waitFor();
  expect(await message(coach, 'keeps opening').count()).toBe(0);

  await send(student, 'Sent to the wrong room, sorry.');
  await message(coach, 'Sent to the wrong room, sorry.').waitFor();
  await message(student, 'Sent to the wrong room, sorry.').locator('[data-testid=message-delete]').click();
  await student.click('[data-testid=message-delete-confirm]');
  await message(coach, 'Sent to the wrong room, sorry.').waitFor({ state: 'detached' });
  await message(student, 'Sent to the wrong room, sorry.').waitFor({ state: 'detached' });
}, 30_000);

it('gives the coach start, pause, resume and step controls, with the status shown to both', async () => {
  await coach.click('[data-testid=control-start]');
  for (const page of [coach, student]) await page.locator('[data-testid=session-status][data-status=active]').waitFor();
  // The status change is a centred system notice for both.
  for (const page of [coach, student]) {
    const notice = timeline(page).locator('[data-testid=message][data-type=session_state]').first();
    await notice.waitFor();
    expect(await notice.getAttribute('data-kind')).toBe('system');
    expect(await sideOf(page, notice)).toBe('center');
  }

  await coach.selectOption('[data-testid=step-select]', 'analysis');
  await coach.click('[data-testid=step-apply]');
  for (const page of [coach, student]) {
    await page.locator('[data-testid=session-step]', { hasText: 'Analysis' }).waitFor();
    await timeline(page).locator('[data-testid=message][data-type=session_state]', { hasText: 'Analysis' }).waitFor();
  }

  await coach.click('[data-testid=control-pause]');
  await student.locator('[data-testid=session-status][data-status=paused]').waitFor();
  expect(await coach.locator('[data-testid=control-pause]').isDisabled()).toBe(true);
  await coach.click('[data-testid=control-resume]');
  await student.locator('[data-testid=session-status][data-status=active]').waitFor();
}, 30_000);

it('shows a simulated AI analysis to both: progress bar, then the same feedback card', async () => {
  await student.click('[data-testid=simulate-analysis]');
  for (const page of [coach, student]) {
    await page.locator('[data-testid=job-progress]').first().waitFor();
    await page.locator('[data-testid=job-progress][data-status=completed][data-percent="100"]').waitFor();
    const card = timeline(page).locator('[data-testid=message][data-kind=ai] [data-testid=ai-card]');
    await card.waitFor();
    expect(await card.count()).toBe(1);
    expect(await timeline(page).locator('[data-testid=message][data-kind=ai] [data-testid=insight-badge]').count()).toBe(1);
    expect(await card.locator('[data-testid=ai-metrics] dt').count()).toBeGreaterThan(0);
    expect(await card.locator('[data-testid=ai-recommendations] li').count()).toBeGreaterThan(0);
  }
  const summaries = await Promise.all(
    [coach, student].map((page) => timeline(page).locator('[data-testid=ai-summary]').innerText()),
  );
  expect(summaries[0]!.length).toBeGreaterThan(0);
  expect(summaries[1]).toBe(summaries[0]);
  await screenshot(coach, 'coach');
  await screenshot(student, 'student');
}, 30_000);

it('shows a reconnecting banner when the server restarts, then every message sent meanwhile, once', async () => {
  const before = await messageIds(student);
  gate!.close();
  await server!.kill();
  for (const page of [coach, student]) await page.locator('[data-testid=connection-banner]').waitFor();
  expect(await student.locator('[data-testid=composer-input]').isDisabled()).toBe(true);
  await screenshot(student, 'student-reconnecting');

  server = await startRoomServer();
  await coach.locator('[data-testid=connection-banner]').waitFor({ state: 'hidden' });
  await send(coach, 'Welcome back. First note while you were away.');
  await send(coach, 'Second note while you were away.');
  // The student is still cut off: these two can only reach it through the rejoin's `since` catch-up.
  expect(await student.locator('[data-testid=connection-banner]').isVisible()).toBe(true);

  gate!.open();
  await student.locator('[data-testid=connection-banner]').waitFor({ state: 'hidden', timeout: 20_000 });
  await message(student, 'Welcome back. First note while you were away.').waitFor();
  await message(student, 'Second note while you were away.').waitFor();
  await student.locator('[data-testid=resync-notice][data-missed="2"]').waitFor();

  // The rejoin asked for exactly what came after the newest message the page held.
  const newestBefore = before.reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a));
  expect(studentSessionJoins[0]).toEqual({ history: 100 });
  expect(studentSessionJoins[studentSessionJoins.length - 1]).toEqual({ since: newestBefore });

  const after = await messageIds(student);
  expect(new Set(after).size).toBe(after.length);
  expect(after.slice(0, before.length)).toEqual(before);
  expect(after.length).toBe(before.length + 2);
  expect(after).toEqual(await messageIds(coach));
}, 45_000);

/** A back end's stored notice, through the server API, as an AI worker or the Node API would post it. */
async function postNotice(text: string): Promise<void> {
  const res = await fetch(`${server!.url}/api/broadcast`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: `session:${SESSION}`, event: 'system:notice', payload: { message: text }, persist: true }),
  });
  if (!res.ok) throw new Error(`broadcast failed: ${res.status} ${await res.text()}`);
}

it('catches up after an absence longer than one join reply holds, without gaps or duplicates', async () => {
  gate!.cut();
  await student.locator('[data-testid=connection-banner]').waitFor();
  const texts = Array.from({ length: LONG_ABSENCE_MESSAGES }, (_, i) => `Back-end notice [${i + 1}]`);
  for (let i = 0; i < texts.length; i += 20) await Promise.all(texts.slice(i, i + 20).map(postNotice));
  await message(coach, `Back-end notice [${LONG_ABSENCE_MESSAGES}]`).waitFor();
  const coachIds = await messageIds(coach);
  expect(await message(coach, 'Back-end notice [1]').first().getAttribute('data-kind')).toBe('system');

  const joinsBefore = studentSessionJoins.length;
  gate!.open();
  await student.locator('[data-testid=connection-banner]').waitFor({ state: 'hidden', timeout: 20_000 });
  await student.waitForFunction(
    (count) => document.querySelectorAll('[data-testid=timeline] [data-message-id]').length >= count,
    coachIds.length,
    { timeout: 20_000 },
  );
  const after = await messageIds(student);
  expect(new Set(after).size).toBe(after.length);
  expect(after).toEqual(coachIds);
  // One rejoin got the first 500, a second one asked on from there for the rest.
  const joins = studentSessionJoins.slice(joinsBefore);
  expect(joins.length).toBe(2);
  expect(joins[1]).toEqual({ since: after[after.length - (LONG_ABSENCE_MESSAGES - 500) - 1] });
}, 45_000);

it('ends the session: both see it ended, and the controls are disabled', async () => {
  await coach.click('[data-testid=control-end]');
  for (const page of [coach, student]) await page.locator('[data-testid=session-status][data-status=ended]').waitFor();

  expect(await student.locator('[data-testid=composer-input]').isDisabled()).toBe(true);
  expect(await student.locator('[data-testid=composer-send]').isDisabled()).toBe(true);
  expect(await student.locator('[data-testid=simulate-analysis]').isDisabled()).toBe(true);
  expect(await student.locator('[data-testid=message-edit], [data-testid=message-delete]').count()).toBe(0);
  await student.locator('[data-testid=composer-disabled-reason]', { hasText: 'ended' }).waitFor();
  for (const control of ['start', 'pause', 'resume', 'end']) {
    expect(await coach.locator(`[data-testid=control-${control}]`).isDisabled()).toBe(true);
  }
  expect(await coach.locator('[data-testid=step-apply]').isDisabled()).toBe(true);
  await screenshot(coach, 'coach-ended');
  await screenshot(student, 'student-ended');
}, 30_000);
