// Opens GraphiQL on a running gateway, runs a query for orders and checks that the result
// appears on the page. Usage: node graphiql.mjs <base-url> <expected-text>
// Exit 0 on success; prints what it saw otherwise.
import { chromium } from 'playwright-core';

const [base, expected] = process.argv.slice(2);
if (!base || !expected) {
  console.error('usage: node graphiql.mjs <base-url> <expected-text>');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
try {
  const page = await browser.newPage();
  // Everything must come from the gateway itself: refuse any other host.
  const base_host = new URL(base).host;
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host !== base_host) {
      failures.push(`request to another host: ${url.href}`);
      return route.abort();
    }
    return route.continue();
  });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  await page.goto(`${base}/graphql`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30000 });
  await page.click('.graphiql-execute-button');
  const result = page.locator('.result-window');
  await result.getByText(expected, { exact: false }).first().waitFor({ timeout: 30000 });
  const text = await result.innerText();
  console.log(text.slice(0, 2000));
  if (!text.includes('totalCount')) failures.push('the result pane shows no totalCount');
} catch (e) {
  failures.push(String(e));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
