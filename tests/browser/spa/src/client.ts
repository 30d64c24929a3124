// The GraphQL client of the SPA, as a front-end team sets it up against oms-gateway: urql over
// HTTP (queries by GET, mutations by POST) and graphql-ws for subscriptions, both sending only
// the hash GraphQL Code Generator gave each document (its trusted-documents manifest is what
// the gateway runs with), and the access token in the `Authorization` header and in the
// WebSocket's `connectionParams`.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { createClient as createWsClient } from 'graphql-ws';

export interface Connection {
  client: Client;
  /** Resolves once the WebSocket is acknowledged (the token was accepted). */
  live: Promise<void>;
  close: () => void;
}

export function connect(api: string, access: string): Connection {
  let acknowledged!: () => void;
  let refused!: (e: unknown) => void;
  const live = new Promise<void>((resolve, reject) => {
    acknowledged = resolve;
    refused = reject;
  });
  const ws = createWsClient({
    url: `${api.replace(/^http/, 'ws')}/graphql/ws`,
    connectionParams: { Authorization: `Bearer ${access}` },
    on: {
      connected: () => acknowledged(),
      closed: (event) => refused(event),
    },
  });
  const client = new Client({
    url: `${api}/graphql`,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${access}` } }),
    exchanges: [
      cacheExchange,
      persistedExchange({
        // the gateway in trusted-documents mode knows only the manifest's documents: never
        // fall back to sending a document's text
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
        generateHash: async (_query, document) =>
          (document as unknown as { __meta__: { hash: string } }).__meta__.hash,
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, live, close: () => void ws.dispose() };
}

/** A token pair from the SimpleJWT-compatible endpoint. */
export async function login(api: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${api}/api/accounts/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.detail ?? `login failed (${response.status})`);
  }
  return body.access;
}
