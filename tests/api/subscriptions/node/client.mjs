// A real `graphql-ws` client (the npm package, over the `ws` WebSocket) for the subscription
// tests: node client.mjs URL TOKEN COUNT
// Prints one JSON line per event: {"connected":true} once acknowledged, then each result of
// `orderEvents`, and exits 0 after COUNT results; a refused or failed connection prints
// {"error":{"code":...,"reason":...}} and exits 2.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, count] = process.argv.slice(2);
const wanted = Number(count ?? '1');
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  lazy: false,
  retryAttempts: 0,
  on: { connected: () => say({ connected: true }) },
});

let seen = 0;
client.subscribe(
  {
    query: `subscription {
      orderEvents {
        kind
        orderId
        order { id status customer { username } items { quantity product { name } stock { label } } }
      }
    }`,
  },
  {
    next: (result) => {
      say(result);
      seen += 1;
      if (seen >= wanted) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (err) => {
      const code = typeof err?.code === 'number' ? err.code : null;
      say({ error: { code, reason: err?.reason ?? String(err?.message ?? err) } });
      process.exit(2);
    },
    complete: () => {
      say({ complete: true });
      process.exit(3);
    },
  },
);

setTimeout(() => {
  say({ error: { code: null, reason: 'timed out' } });
  process.exit(4);
}, 30000).unref();
