// The test SPA: sign in, list the newest orders, place an order, and show the subscription's
// events as they arrive. The gateway's address comes from `?api=` (default: this origin).
import type { Client } from '@urql/core';
import { connect, login } from './client';
import {
  NewestOrdersDocument,
  OrderableStockDocument,
  OrderFeedDocument,
  PlaceOrderDocument,
} from './gql/graphql';

const api = new URLSearchParams(location.search).get('api') ?? location.origin;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function show(error: unknown) {
  $('error').textContent = error instanceof Error ? error.message : String(error);
}

function cell(row: HTMLTableRowElement, text: string) {
  row.insertCell().textContent = text;
}

async function loadOrders(client: Client) {
  const result = await client
    .query(NewestOrdersDocument, { first: 5 }, { requestPolicy: 'network-only' })
    .toPromise();
  if (result.error) throw result.error;
  const orders = result.data!.orders;
  $('total').textContent = String(orders.totalCount);
  const body = $('orders');
  body.replaceChildren();
  for (const order of orders.nodes) {
    const row = (body as HTMLTableSectionElement).insertRow();
    row.dataset.orderId = String(order.id);
    cell(row, `#${order.id}`);
    cell(row, order.status);
    cell(row, order.totalAmount);
    cell(row, order.customer.username);
    cell(row, order.items.map((i) => `${i.quantity} x ${i.product.name}`).join(', '));
  }
}

async function placeOrder(client: Client) {
  const stock = await client.query(OrderableStockDocument, {}).toPromise();
  if (stock.error) throw stock.error;
  const row = stock.data!.stocks.nodes.find((s) => s.quantity > 0);
  if (!row) throw new Error('nothing in stock');
  const placed = await client
    .mutation(PlaceOrderDocument, {
      input: { items: [{ productId: row.product.id, stockId: row.id, quantity: 1 }] },
      idempotencyKey: crypto.randomUUID(),
    })
    .toPromise();
  if (placed.error) throw placed.error;
  const order = placed.data!.createOrder;
  $('placed').textContent = `Placed order #${order.id} (${order.totalAmount})`;
  $('placed').dataset.orderId = String(order.id);
  await loadOrders(client);
}

async function start(username: string, password: string) {
  const access = await login(api, username, password);
  const { client, live } = connect(api, access);
  $('login').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `Signed in as ${username}`;
  client.subscription(OrderFeedDocument, {}).subscribe((result) => {
    if (result.error) return show(result.error);
    const event = result.data!.orderEvents;
    const item = document.createElement('li');
    item.dataset.orderId = String(event.orderId);
    item.textContent = `${event.kind} order #${event.orderId}` +
      (event.order ? ` (${event.order.status}, ${event.order.totalAmount}, ${event.order.customer.username})` : '');
    $('events').append(item);
  });
  await loadOrders(client);
  await live;
  $('live').textContent = 'on';
  const button = $<HTMLButtonElement>('place');
  button.disabled = false;
  button.onclick = () => placeOrder(client).catch(show);
}

$<HTMLFormElement>('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.target as HTMLFormElement);
  start(String(form.get('username')), String(form.get('password'))).catch(show);
});
