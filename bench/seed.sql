-- Benchmark data, set-based (generate_series), for the legacy Django schema as `oms-gateway migrate`
-- creates it: the same data as the shared bench/compare harness loads, so figures compare.
-- bench/scale loads it at 10,000 and at 1,000,000 orders:
--   psql -v ON_ERROR_STOP=1 -v orders=1000000 -f bench/seed.sql
-- Ids are never given: the identity columns hand them out, and every foreign key is looked up
-- through a natural key (username, sku, code, name), so it also works on a schema whose
-- sequences do not start at 1.
-- Shape: 1 staff user `benchadmin` + 100 customers `customer001..100`; 5 categories; 50 products;
-- 2 warehouses with 5 locations each; 100 stock rows (every product in one location of each
-- warehouse, quantity 100,000,000 so the write benchmark never runs dry); :orders orders
-- (customer = order number mod 100, status cycling by blocks of 100 so every customer has
-- orders in every status, ~:orders/500 pending each); 3 items each over distinct products, each
-- drawn from a stock row of that product; 1 payment for odd orders, 2 for even ones;
-- total_amount = exact sum of price * quantity.
-- Passwords are Django's unusable marker ('!' + random): the load mints its tokens directly.
\if :{?orders}
\else
\set orders 10000
\endif

BEGIN;

INSERT INTO accounts_user (password, last_login, is_superuser, username, first_name, last_name,
                           is_staff, is_active, date_joined, email, phone, date_of_birth)
VALUES ('!' || md5(random()::text), NULL, true, 'benchadmin', 'Bench', 'Admin', true, true,
        now() - interval '400 days', 'benchadmin@example.com', NULL, NULL);

INSERT INTO accounts_user (password, last_login, is_superuser, username, first_name, last_name,
                           is_staff, is_active, date_joined, email, phone, date_of_birth)
SELECT '!' || md5(random()::text), NULL, false, format('customer%s', lpad(c::text, 3, '0')),
       'Customer', lpad(c::text, 3, '0'), false, true, now() - interval '365 days' + c * interval '1 hour',
       format('customer%s@example.com', lpad(c::text, 3, '0')), format('+1555%s', lpad(c::text, 7, '0')),
       date '1980-01-01' + c * 30
FROM generate_series(1, 100) AS c
ORDER BY c;

INSERT INTO products_category (name, slug, lft, rght, tree_id, level, parent_id)
SELECT format('Category %s', k), format('category-%s', k), 1, 2, k, 0, NULL
FROM generate_series(1, 5) AS k
ORDER BY k;

INSERT INTO products_product (name, slug, description, sku, price, created_at, updated_at,
                              category_id, created_by_id)
SELECT format('Product %s', lpad(p::text, 2, '0')), format('product-%s', lpad(p::text, 2, '0')),
       format('Benchmark product number %s', p), format('BENCH-%s', lpad(p::text, 4, '0')),
       round((9.99 + p * 7.25)::numeric, 2), now() - interval '300 days', now() - interval '300 days',
       (SELECT id FROM products_category WHERE slug = format('category-%s', (p - 1) % 5 + 1)),
       (SELECT id FROM accounts_user WHERE username = 'benchadmin')
FROM generate_series(1, 50) AS p
ORDER BY p;

INSERT INTO wms_warehouse (name, address, created_at, updated_at)
SELECT format('Warehouse %s', w), format('%s Bench Street', w * 100), now() - interval '300 days',
       now() - interval '300 days'
FROM generate_series(1, 2) AS w
ORDER BY w;

INSERT INTO wms_location (code, description, warehouse_id)
SELECT format('W%s-L%s', w, l), format('Shelf %s of warehouse %s', l, w),
       (SELECT id FROM wms_warehouse WHERE name = format('Warehouse %s', w))
FROM generate_series(1, 2) AS w, generate_series(1, 5) AS l
ORDER BY w, l;

-- product p lies in location W1-L((p-1)%5+1) and W2-L((p-1)%5+1); rows in (product, warehouse) order
INSERT INTO wms_stock (quantity, updated_at, location_id, product_id)
SELECT 100000000, now() - interval '1 day',
       (SELECT id FROM wms_location WHERE code = format('W%s-L%s', w, (p - 1) % 5 + 1)),
       (SELECT id FROM products_product WHERE sku = format('BENCH-%s', lpad(p::text, 4, '0')))
FROM generate_series(1, 50) AS p, generate_series(1, 2) AS w
ORDER BY p, w;

-- lookup tables: ordinal -> id
CREATE TEMP TABLE _cust ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY username) AS n, id FROM accounts_user WHERE username LIKE 'customer%';
CREATE TEMP TABLE _prod ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY sku) AS n, id, price FROM products_product WHERE sku LIKE 'BENCH-%';
CREATE TEMP TABLE _stock ON COMMIT DROP AS
  SELECT p.n AS pn, l.warehouse_n AS wn, s.id
  FROM wms_stock s
  JOIN _prod p ON p.id = s.product_id
  JOIN (SELECT wl.id, substr(wl.code, 2, 1)::int AS warehouse_n FROM wms_location wl) l ON l.id = s.location_id;
CREATE TEMP TABLE _ord (n int PRIMARY KEY, id bigint) ON COMMIT DROP;

WITH ins AS (
  INSERT INTO oms_order (status, total_amount, created_at, updated_at, customer_id)
  SELECT (ARRAY['pending','confirmed','shipped','delivered','cancelled'])[(i / 100) % 5 + 1],
         0,
         now() - (:orders - i) * interval '1 minute',
         now() - (:orders - i) * interval '1 minute' + interval '30 seconds',
         (SELECT id FROM _cust WHERE n = (i - 1) % 100 + 1)
  FROM generate_series(1, :orders) AS i
  ORDER BY i
  RETURNING id
)
INSERT INTO _ord SELECT row_number() OVER (ORDER BY id), id FROM ins;

-- 3 items: products (3i + k) mod 50, distinct within an order; stock of that product in warehouse (i+k) mod 2
INSERT INTO oms_orderitem (quantity, price, order_id, product_id, stock_id)
SELECT 1 + (o.n + k) % 4, p.price, o.id, p.id, s.id
FROM _ord o
CROSS JOIN generate_series(0, 2) AS k
JOIN _prod p ON p.n = (3 * o.n + k) % 50 + 1
JOIN _stock s ON s.pn = p.n AND s.wn = (o.n + k) % 2 + 1
ORDER BY o.n, k;

UPDATE oms_order o SET total_amount = t.total
FROM (SELECT order_id, sum(price * quantity) AS total FROM oms_orderitem GROUP BY order_id) t
WHERE t.order_id = o.id;

-- payments: one for odd orders, two halves for even ones
INSERT INTO oms_payment (amount, payment_method, status, paid_at, created_at, order_id)
SELECT CASE WHEN o.n % 2 = 1 THEN ord.total_amount
            WHEN k = 1 THEN round(ord.total_amount / 2, 2)
            ELSE ord.total_amount - round(ord.total_amount / 2, 2) END,
       (ARRAY['Credit Card','PayPal','Bank Transfer'])[(o.n + k) % 3 + 1],
       CASE ord.status WHEN 'pending' THEN 'pending' WHEN 'cancelled' THEN 'refunded' ELSE 'completed' END,
       CASE WHEN ord.status IN ('pending') THEN NULL ELSE ord.created_at + interval '5 minutes' END,
       ord.created_at + k * interval '1 minute',
       o.id
FROM _ord o
JOIN oms_order ord ON ord.id = o.id
CROSS JOIN generate_series(1, 2) AS k
WHERE k = 1 OR o.n % 2 = 0
ORDER BY o.n, k;

COMMIT;
