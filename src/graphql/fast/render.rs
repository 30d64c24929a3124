//! Rendering a planned fast-path query straight to JSON bytes, in the selection's order and
//! with the same scalar formats as the schema's types (`Decimal` with two places, `DateTime`
//! in RFC 3339 with `Z`, enums in upper case, ids as numbers).

use async_graphql::parser::types::SelectionSet;
use chrono::{DateTime, SecondsFormat, Utc};
use entity::{category, location, order, order_item, payment, product, stock, warehouse};
use rust_decimal::Decimal;

use super::plan::Root;
use super::selection::{Fragments, flatten};
use crate::auth::Access;
use crate::auth::service::{UserSummary, shown_email};
use crate::db::Reads;
use crate::listing::Page;
use crate::orders::graph::OrderGraph;
use crate::orders::service;
use crate::payments::service::{amount_paid, balance_due};
use crate::state::AppState;

/// Anything the renderer cannot answer itself: the executor takes over.
type R<T = ()> = Result<T, ()>;

/// Runs the planned roots and writes `{"data": {...}}`.
pub async fn run(
    state: &AppState,
    access: &Access,
    roots: &[Root<'_>],
    fragments: &Fragments,
    reads: Option<Reads<'_>>,
) -> Option<Vec<u8>> {
    // every statement of the request on one connection (see `Reads`)
    let db = match reads {
        Some(db) => db,
        None => Reads::take(&state.db, &state.sql).await.ok()?,
    };
    let mut out = Out(Vec::with_capacity(4096));
    out.raw(b"{\"data\":{");
    for (i, root) in roots.iter().enumerate() {
        if i > 0 {
            out.raw(b",");
        }
        match root {
            Root::Typename { key } => {
                out.key(key);
                out.string("Query");
            }
            Root::Orders {
                key,
                filter,
                order_by,
                page,
                sets,
                wants,
            } => {
                let listed = service::list_orders(&db, access, filter.as_deref(), order_by, page)
                    .await
                    .ok()?;
                let models: Vec<order::Model> =
                    listed.rows.iter().map(|(m, _)| m.clone()).collect();
                let graph = OrderGraph::load(&db, &models, *wants).await.ok()?;
                let wants_total = flatten(sets, "OrderConnection", fragments)?
                    .iter()
                    .any(|s| s.name() == "totalCount");
                let total = if wants_total {
                    Some(
                        service::count_orders(&db, access, filter.as_deref())
                            .await
                            .ok()?,
                    )
                } else {
                    None
                };
                out.key(key);
                connection(&mut out, sets, fragments, &listed, &graph, total).ok()?;
            }
            Root::Order {
                key,
                id,
                sets,
                wants,
            } => {
                let found = service::get_order(&db, access, *id).await.ok()?;
                out.key(key);
                match found {
                    None => out.raw(b"null"),
                    Some(o) => {
                        let graph = OrderGraph::load(&db, std::slice::from_ref(&o), *wants)
                            .await
                            .ok()?;
                        order(&mut out, sets, fragments, &o, &graph).ok()?;
                    }
                }
            }
        }
    }
    out.raw(b"}}");
    Some(out.0)
}

/// A JSON writer.
struct Out(Vec<u8>);

impl Out {
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn string(&mut self, s: &str) {
        self.0.push(b'"');
        for c in s.chars() {
            match c {
                '"' => self.raw(b"\\\""),
                '\\' => self.raw(b"\\\\"),
                '\n' => self.raw(b"\\n"),
                '\r' => self.raw(b"\\r"),
                '\t' => self.raw(b"\\t"),
                '\u{08}' => self.raw(b"\\b"),
                '\u{0c}' => self.raw(b"\\f"),
                c if (c as u32) < 0x20 => {
                    let s = format!("\\u{:04x}", c as u32);
                    self.raw(s.as_bytes());
                }
                c => {
                    let mut buf = [0u8; 4];
                    self.raw(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        self.0.push(b'"');
    }

    fn key(&mut self, k: &str) {
        self.string(k);
        self.0.push(b':');
    }

    fn int(&mut self, n: i64) {
        let mut buf = itoa::Buffer::new();
        self.raw(buf.format(n).as_bytes());
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { b"true" } else { b"false" });
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw(b"null"),
        }
    }

    fn decimal(&mut self, d: Decimal) {
        self.string(&format!("{d:.2}"));
    }

    fn time(&mut self, t: &DateTime<Utc>) {
        self.string(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }

    /// An object: `{` each selected field `}`, via `field(out, name)` for each response key.
    fn object<'a>(
        &mut self,
        sets: &[&'a SelectionSet],
        type_name: &str,
        fragments: &'a Fragments,
        mut field: impl FnMut(&mut Out, &str, &[&'a SelectionSet]) -> R,
    ) -> R {
        let sels = flatten(sets, type_name, fragments).ok_or(())?;
        self.0.push(b'{');
        for (i, sel) in sels.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.key(sel.key);
            if sel.name() == "__typename" {
                self.string(type_name);
            } else {
                field(self, sel.name(), &sel.sets)?;
            }
        }
        self.0.push(b'}');
        Ok(())
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Out, &T) -> R) -> R {
        self.0.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            each(self, item)?;
        }
        self.0.push(b']');
        Ok(())
    }
}

fn connection(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    page: &Page<order::Model>,
    g: &OrderGraph,
    total: Option<u64>,
) -> R {
    out.object(sets, "OrderConnection", fr, |out, name, sub| match name {
        "edges" => out.list(&page.rows, |out, (m, cursor)| {
            out.object(sub, "OrderEdge", fr, |out, name, sub| match name {
                "cursor" => {
                    out.string(cursor);
                    Ok(())
                }
                "node" => order(out, sub, fr, m, g),
                _ => Err(()),
            })
        }),
        "nodes" => out.list(&page.rows, |out, (m, _)| order(out, sub, fr, m, g)),
        "pageInfo" => out.object(sub, "PageInfo", fr, |out, name, _| {
            match name {
                "hasNextPage" => out.bool(page.has_next),
                "hasPreviousPage" => out.bool(page.has_previous),
                "startCursor" => out.opt_string(page.start_cursor()),
                "endCursor" => out.opt_string(page.end_cursor()),
                _ => return Err(()),
            }
            Ok(())
        }),
        "totalCount" => {
            out.int(total.ok_or(())? as i64);
            Ok(())
        }
        _ => Err(()),
    })
}

fn enum_name(stored: &str) -> String {
    stored.to_ascii_uppercase()
}

fn order(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    o: &order::Model,
    g: &OrderGraph,
) -> R {
    let no_payments = Vec::new();
    let payments = || g.payments.get(&o.id).ok_or(());
    out.object(sets, "Order", fr, |out, name, sub| {
        match name {
            "id" => out.int(o.id),
            "status" => {
                o.status
                    .parse::<crate::orders::status::OrderStatus>()
                    .map_err(|_| ())?;
                out.string(&enum_name(&o.status));
            }
            "totalAmount" => out.decimal(o.total_amount.0),
            "createdAt" => out.time(&o.created_at),
            "updatedAt" => out.time(&o.updated_at),
            "amountPaid" => out.decimal(amount_paid(payments()?)),
            "balanceDue" => out.decimal(balance_due(o.total_amount.0, payments()?)),
            "customer" => user(out, sub, fr, g.customers.get(&o.customer_id).ok_or(())?)?,
            "items" => {
                let items = g.items.get(&o.id).ok_or(())?;
                out.list(items, |out, i| item(out, sub, fr, i, g))?;
            }
            "payments" => {
                let list = g.payments.get(&o.id).unwrap_or(&no_payments);
                out.list(list, |out, p| payment(out, sub, fr, p))?;
            }
            _ => return Err(()),
        }
        Ok(())
    })
}

fn user(out: &mut Out, sets: &[&SelectionSet], fr: &Fragments, u: &UserSummary) -> R {
    out.object(sets, "User", fr, |out, name, _| {
        match name {
            "id" => out.int(u.id),
            "username" => out.string(&u.username),
            "email" => out.opt_string(shown_email(&u.email)),
            "isStaff" => out.bool(u.is_staff),
            _ => return Err(()),
        }
        Ok(())
    })
}

fn item(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    i: &order_item::Model,
    g: &OrderGraph,
) -> R {
    out.object(sets, "OrderItem", fr, |out, name, sub| {
        match name {
            "id" => out.int(i.id),
            "quantity" => out.int(i64::from(i.quantity)),
            "price" => out.decimal(i.price.0),
            "subtotal" => out.decimal(service::subtotal(i)),
            "product" => product(out, sub, fr, g.products.get(&i.product_id).ok_or(())?, g)?,
            "stock" => match i.stock_id {
                None => out.raw(b"null"),
                Some(id) => stock(out, sub, fr, g.stocks.get(&id).ok_or(())?, g)?,
            },
            _ => return Err(()),
        }
        Ok(())
    })
}

fn product(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    p: &product::Model,
    g: &OrderGraph,
) -> R {
    out.object(sets, "Product", fr, |out, name, sub| {
        match name {
            "id" => out.int(p.id),
            "name" => out.string(&p.name),
            "sku" => out.string(&p.sku),
            "price" => out.decimal(p.price.0),
            "description" => out.opt_string(p.description.as_deref()),
            "category" => category(out, sub, fr, g.categories.get(&p.category_id).ok_or(())?)?,
            _ => return Err(()),
        }
        Ok(())
    })
}

fn category(out: &mut Out, sets: &[&SelectionSet], fr: &Fragments, c: &category::Model) -> R {
    out.object(sets, "Category", fr, |out, name, _| {
        match name {
            "id" => out.int(c.id),
            "name" => out.string(&c.name),
            "slug" => out.string(&c.slug),
            _ => return Err(()),
        }
        Ok(())
    })
}

fn stock(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    s: &stock::Model,
    g: &OrderGraph,
) -> R {
    let location = || g.locations.get(&s.location_id).ok_or(());
    out.object(sets, "Stock", fr, |out, name, sub| {
        match name {
            "id" => out.int(s.id),
            "quantity" => out.int(i64::from(s.quantity)),
            "label" => {
                let l = location()?;
                let w = g.warehouses.get(&l.warehouse_id).ok_or(())?;
                out.string(&crate::catalog::graphql::stock_label(w, l));
            }
            "product" => product(out, sub, fr, g.products.get(&s.product_id).ok_or(())?, g)?,
            "location" => self::location(out, sub, fr, location()?, g)?,
            _ => return Err(()),
        }
        Ok(())
    })
}

fn location(
    out: &mut Out,
    sets: &[&SelectionSet],
    fr: &Fragments,
    l: &location::Model,
    g: &OrderGraph,
) -> R {
    out.object(sets, "Location", fr, |out, name, sub| {
        match name {
            "id" => out.int(l.id),
            "code" => out.string(&l.code),
            "description" => out.opt_string(l.description.as_deref()),
            "warehouse" => warehouse(out, sub, fr, g.warehouses.get(&l.warehouse_id).ok_or(())?)?,
            _ => return Err(()),
        }
        Ok(())
    })
}

fn warehouse(out: &mut Out, sets: &[&SelectionSet], fr: &Fragments, w: &warehouse::Model) -> R {
    out.object(sets, "Warehouse", fr, |out, name, _| {
        match name {
            "id" => out.int(w.id),
            "name" => out.string(&w.name),
            "address" => out.opt_string(w.address.as_deref()),
            _ => return Err(()),
        }
        Ok(())
    })
}

fn payment(out: &mut Out, sets: &[&SelectionSet], fr: &Fragments, p: &payment::Model) -> R {
    out.object(sets, "Payment", fr, |out, name, _| {
        match name {
            "id" => out.int(p.id),
            "amount" => out.decimal(p.amount.0),
            "paymentMethod" => out.string(&p.payment_method),
            "status" => {
                p.status
                    .parse::<crate::payments::status::PaymentStatus>()
                    .map_err(|_| ())?;
                out.string(&enum_name(&p.status));
            }
            "paidAt" => match &p.paid_at {
                Some(t) => out.time(t),
                None => out.raw(b"null"),
            },
            "createdAt" => out.time(&p.created_at),
            _ => return Err(()),
        }
        Ok(())
    })
}
