// Drives the test SPA in headless Chromium as a person would: sign in, read the newest orders,
// place an order, and wait for its subscription event and its row to appear.
// Usage (from tests/browser): node spa/drive.mjs SPA_URL API_URL USERNAME PASSWORD
// Prints one JSON object: what the page showed and the GraphQL requests and WebSocket
// subscriptions it sent; exits 1 (saying why) if anything went wrong on the way.
// SPA_SCREENSHOT=file.png saves a picture of the page at the end.
import { chromium } from 'playwright-core';

const [spa, api, username, password] = process.argv.slice(2);
if (!spa || !api || !username || !password) {
  console.error('usage: node spa/drive.mjs SPA_URL API_URL USERNAME PASSWORD');
  process.exit(2);
}
const WAIT = { timeout: 30000 };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
const graphql = [];
const subscriptions = [];
const shown = {};
try {
  const page = await browser.newPage();
  const hosts = new Set([new URL(spa).host, new URL(api).host]);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!hosts.has(url.host)) failures.push(`request to another host: ${url.href}`);
    if (url.host === new URL(api).host && url.pathname === '/graphql' && request.method() !== 'OPTIONS') {
      const body = request.postData();
      graphql.push({
        method: request.method(),
        params: Object.fromEntries(url.searchParams),
        body: body ? JSON.parse(body) : null,
      });
    }
  });
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => {
      const message = JSON.parse(frame.payload);
      if (message.type === 'subscribe') subscriptions.push(message.payload);
    });
  });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && failures.push(`console: ${m.text()}`));

  // waits for `locator`, or fails as soon as the page shows an error
  const until = async (locator) => {
    const error = page.locator('#error:not(:empty)');
    const failed = error.waitFor(WAIT).then(async () => {
      throw new Error(`the page shows an error: ${await error.textContent()}`);
    });
    await Promise.race([locator.waitFor(WAIT), failed]);
  };
  await page.goto(`${spa}/?api=${encodeURIComponent(api)}`, { waitUntil: 'load' });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await until(page.locator('#who').getByText(`Signed in as ${username}`));
  await until(page.locator('#orders tr').first());
  // the WebSocket is acknowledged: the page lets an order be placed
  await until(page.locator('#place:enabled'));
  const rows = () => page.locator('#orders tr').evaluateAll(
    (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  shown.before = await rows();
  shown.totalBefore = await page.locator('#total').textContent();

  await page.click('#place');
  const placed = page.locator('#placed[data-order-id]');
  await until(placed);
  shown.placed = await placed.textContent();
  const id = await placed.getAttribute('data-order-id');
  const event = page.locator(`#events li[data-order-id="${id}"]`);
  await until(event);
  shown.event = await event.textContent();
  await until(page.locator(`#orders tr[data-order-id="${id}"]`));
  shown.after = await rows();
  shown.totalAfter = await page.locator('#total').textContent();
  shown.error = await page.locator('#error').textContent();
  if (shown.error) failures.push(`the page shows an error: ${shown.error}`);
  if (process.env.SPA_SCREENSHOT) await page.screenshot({ path: process.env.SPA_SCREENSHOT, fullPage: true });
} catch (e) {
  failures.push(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ shown, graphql, subscriptions }));
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
