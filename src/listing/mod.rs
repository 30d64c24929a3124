//! Sorted, filtered, keyset-paginated lists (Relay connections), shared by orders and payments;
//! and the windows of the REST lists (`Window`).
//!
//! A cursor is opaque to clients: base64 of the sort key values of a row plus the signature of
//! the sort it belongs to. Pages are found with `WHERE (keys) > (cursor keys)` in the sort's own
//! order (`ORDER BY ... LIMIT n + 1`), never OFFSET, so they are index range scans, stay stable
//! while rows are inserted, and a cursor of a deleted row still works. NULLs sort last in
//! ascending order and first in descending order on both backends.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::Positional;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, NullOrdering, Order};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::json;

use crate::db::all_positional;
use crate::error::{AppError, AppResult, Problem};

mod key;
mod window;
pub use key::{KeyKind, KeyValue};
pub use window::Window;

/// How many rows of an ordered select a page reads, after skipping `offset`. Both bound as
/// values (`apply`) where the select is a statement of its own. Where it is a common table of
/// a larger statement (`orders::relations::load_page`) the limit is written into the SQL:
/// PostgreSQL's generic plan of a bound `LIMIT` assumes a tenth of the table, and planned the
/// relations of a page of orders as hash joins over every item and payment (BENCHMARKS.md, "A
/// GraphQL page of orders in one statement"). The offset stays bound there too: written, each
/// page of a REST list would be a statement of its own in each connection's statement cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub limit: u64,
    pub offset: u64,
}

impl Span {
    /// The first `limit` rows.
    pub fn first(limit: u64) -> Span {
        Span { limit, offset: 0 }
    }

    /// `select` cut to the span, its numbers bound.
    pub fn apply<E: EntityTrait>(self, select: Select<E>) -> Select<E> {
        let select = select.limit(self.limit);
        if self.offset > 0 {
            select.offset(self.offset)
        } else {
            select
        }
    }

    /// The span as SQL to follow a select's `ORDER BY`, the limit written and the offset (if
    /// any) `placeholder` (the same syntax on both backends).
    pub fn sql(self, placeholder: &str) -> String {
        match self.offset {
            0 => format!(" LIMIT {}", self.limit),
            _ => format!(" LIMIT {} OFFSET {placeholder}", self.limit),
        }
    }
}

/// `first` when the client gives neither `first` nor `last`.
pub const DEFAULT_PAGE: u64 = 20;
/// The most rows one page returns (`first`/`last` above it are capped).
pub const MAX_PAGE: u64 = 100;

/// One column of a sort.
#[derive(Debug, Clone)]
pub struct SortKey {
    /// Stable name, part of the cursor's signature (`created_at`).
    pub name: &'static str,
    pub column: Expr,
    pub kind: KeyKind,
    pub nullable: bool,
    pub descending: bool,
}

/// A sort: the requested keys, always ending with the unique `id`.
#[derive(Debug, Clone)]
pub struct Sort {
    pub keys: Vec<SortKey>,
}

impl Sort {
    /// The requested keys (a key named twice counts once), ending with the unique id made by
    /// `id` (in the first key's direction; descending, newest first, when none is requested).
    pub fn of(
        requested: impl IntoIterator<Item = SortKey>,
        id: impl FnOnce(bool) -> SortKey,
    ) -> Sort {
        let mut keys: Vec<SortKey> = Vec::new();
        for k in requested {
            if !keys.iter().any(|e| e.name == k.name) {
                keys.push(k);
            }
        }
        let id = id(keys.first().is_none_or(|k| k.descending));
        if !keys.iter().any(|k| k.name == id.name) {
            keys.push(id);
        }
        Sort { keys }
    }

    fn signature(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("{}:{}", k.name, if k.descending { "d" } else { "a" }))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn reversed(&self) -> Sort {
        Sort {
            keys: self
                .keys
                .iter()
                .map(|k| SortKey {
                    descending: !k.descending,
                    ..k.clone()
                })
                .collect(),
        }
    }

    /// The key values of a cursor, if it was made for this sort.
    pub fn decode_cursor(&self, cursor: &str, field: &str) -> AppResult<Vec<KeyValue>> {
        let bad = || {
            AppError::invalid(
                field,
                Problem::Rule("is not a valid cursor for this list and orderBy".into()),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if body.get("s").and_then(|s| s.as_str()) != Some(self.signature().as_str()) {
            return Err(bad());
        }
        let values = body.get("v").and_then(|v| v.as_array()).ok_or_else(bad)?;
        if values.len() != self.keys.len() {
            return Err(bad());
        }
        self.keys
            .iter()
            .zip(values)
            .map(|(k, v)| {
                let kv = KeyValue::from_json(k.kind, v).ok_or_else(bad)?;
                if kv == KeyValue::Null && !k.nullable {
                    return Err(bad());
                }
                Ok(kv)
            })
            .collect()
    }

    /// Rows strictly after `values` in this sort's order.
    fn after(&self, values: &[KeyValue]) -> Condition {
        self.bounded(values, self.strictly_after_terms(values))
    }

    /// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...`, each comparison in its key's direction.
    fn strictly_after_terms(&self, values: &[KeyValue]) -> Condition {
        let mut any = Condition::any();
        for i in 0..self.keys.len() {
            let mut all = Condition::all();
            for (k, v) in self.keys[..i].iter().zip(values) {
                all = all.add(equal(k, v));
            }
            all = all.add(strictly_after(&self.keys[i], &values[i]));
            any = any.add(all);
        }
        any
    }

    fn bounded(&self, values: &[KeyValue], terms: Condition) -> Condition {
        match self.leading_bound(values) {
            Some(bound) => Condition::all().add(bound).add(terms),
            None => terms,
        }
    }

    /// `first_key <= v` (descending) or `>= v` (ascending): implied by the OR of `after`, but
    /// only this plain range lets the planners start an index scan at the cursor instead of
    /// reading (and filtering) every row before it; a page 900,000 rows deep stays as fast as
    /// the first. Only for a non-null value of a non-nullable key: NULLs sort outside ranges.
    fn leading_bound(&self, values: &[KeyValue]) -> Option<Condition> {
        let (key, value) = (self.keys.first()?, values.first()?);
        if self.keys.len() < 2 || key.nullable || *value == KeyValue::Null {
            return None;
        }
        let (col, v) = (key.column.clone(), value.to_value(key.kind));
        Some(Condition::all().add(if key.descending {
            col.lte(v)
        } else {
            col.gte(v)
        }))
    }

    /// Rows at `values` or before them in this sort's order.
    fn at_or_before(&self, values: &[KeyValue]) -> Condition {
        let reversed = self.reversed();
        let mut same = Condition::all();
        for (k, v) in self.keys.iter().zip(values) {
            same = same.add(equal(k, v));
        }
        let terms = Condition::any()
            .add(reversed.strictly_after_terms(values))
            .add(same);
        reversed.bounded(values, terms)
    }

    /// How two rows' key values compare in this sort's order, as `apply_order` orders them
    /// (NULLs last ascending, first descending). Text compares byte by byte: the order of a
    /// `C` collation, which is the database's for text a sort may restore this way (the
    /// orders' status: lowercase ASCII words).
    fn compare(&self, a: &[KeyValue], b: &[KeyValue]) -> std::cmp::Ordering {
        self.keys
            .iter()
            .zip(a.iter().zip(b))
            .map(|(k, (x, y))| {
                let o = x.compare(y);
                if k.descending { o.reverse() } else { o }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }

    fn apply_order<E: EntityTrait>(&self, mut select: Select<E>) -> Select<E> {
        for k in &self.keys {
            let (order, nulls) = if k.descending {
                (Order::Desc, NullOrdering::First)
            } else {
                (Order::Asc, NullOrdering::Last)
            };
            select = if k.nullable {
                select.order_by_with_nulls(k.column.clone(), order, nulls)
            } else {
                select.order_by(k.column.clone(), order)
            };
        }
        select
    }
}

fn equal(k: &SortKey, v: &KeyValue) -> Condition {
    match v {
        KeyValue::Null => Condition::all().add(k.column.clone().is_null()),
        _ => Condition::all().add(k.column.clone().eq(v.to_value(k.kind))),
    }
}

/// Ascending: NULLs last; descending: NULLs first.
fn strictly_after(k: &SortKey, v: &KeyValue) -> Condition {
    let col = k.column.clone();
    match (k.descending, v) {
        (false, KeyValue::Null) => Condition::any().add(Expr::val(1).eq(0)),
        (false, v) if k.nullable => Condition::any()
            .add(col.clone().gt(v.to_value(k.kind)))
            .add(col.is_null()),
        (false, v) => Condition::all().add(col.gt(v.to_value(k.kind))),
        (true, KeyValue::Null) => Condition::all().add(col.is_not_null()),
        (true, v) => Condition::all().add(col.lt(v.to_value(k.kind))),
    }
}

/// What the client asked for: `first`/`after` forwards or `last`/`before` backwards.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub last: Option<i64>,
    pub before: Option<String>,
}

/// A cursor: the sort's signature and a row's key values, as base64 of JSON.
fn encode_cursor(signature: &str, values: &[KeyValue]) -> String {
    let body =
        json!({ "s": signature, "v": values.iter().map(KeyValue::to_json).collect::<Vec<_>>() });
    URL_SAFE_NO_PAD.encode(body.to_string())
}

/// One page: rows in the requested order, with what their cursors are made of. A cursor is
/// encoded only when asked for (`cursor`): a query that selects no cursor (most select only
/// `nodes`) does not pay for one per row.
#[derive(Debug, Clone)]
pub struct Page<M> {
    pub rows: Vec<M>,
    /// The sort key values of each row, in `rows`' order.
    keys: Vec<Vec<KeyValue>>,
    /// The signature of the sort the page was read in.
    signature: String,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<M> Page<M> {
    /// The cursor of the `i`-th row.
    pub fn cursor(&self, i: usize) -> Option<String> {
        self.keys
            .get(i)
            .map(|values| encode_cursor(&self.signature, values))
    }

    pub fn start_cursor(&self) -> Option<String> {
        self.cursor(0)
    }

    pub fn end_cursor(&self) -> Option<String> {
        self.cursor(self.rows.len().checked_sub(1)?)
    }
}

fn page_size(value: Option<i64>, field: &str) -> AppResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::invalid(field, Problem::MinValue(0))),
        Some(n) => Ok(Some(std::cmp::min(n as u64, MAX_PAGE))),
    }
}

/// How a page's read returns its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    InOrder,
    AnyOrder,
}

/// Fetches one page of `select` (already filtered) in `sort` order.
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    sort: &Sort,
    request: &PageRequest,
    keys_of: impl Fn(&E::Model) -> Vec<KeyValue>,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Positional + Send + Sync,
    C: ConnectionTrait,
{
    let read =
        |page, span: Span| async move { Ok((all_positional(db, span.apply(page)).await?, ())) };
    let (page, ()) =
        fetch_page_with(db, select, sort, request, keys_of, Rows::InOrder, read).await?;
    Ok(page)
}

/// As [`fetch_page`], the page's select (bounded and ordered) and its span read by `read`,
/// which returns the rows with what it read beside them (an order page's relations, read by
/// the same statement), in the sort's order or, `Rows::AnyOrder`, in any: they are then put
/// back in the sort's order by their key values (`Sort::compare`, whose text order is byte by
/// byte: only for sorts whose text keys the database orders the same way, as the orders'
/// status).
pub async fn fetch_page_with<E, C, X, F>(
    db: &C,
    select: Select<E>,
    sort: &Sort,
    request: &PageRequest,
    keys_of: impl Fn(&E::Model) -> Vec<KeyValue>,
    rows_come: Rows,
    read: impl FnOnce(Select<E>, Span) -> F,
) -> AppResult<(Page<E::Model>, X)>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
    F: Future<Output = AppResult<(Vec<E::Model>, X)>>,
{
    let first = page_size(request.first, "first")?;
    let last = page_size(request.last, "last")?;
    let after = request
        .after
        .as_deref()
        .map(|c| sort.decode_cursor(c, "after"))
        .transpose()?;
    let before = request
        .before
        .as_deref()
        .map(|c| sort.decode_cursor(c, "before"))
        .transpose()?;
    let backward = first.is_none() && last.is_some();
    let limit = if backward {
        last.unwrap_or(DEFAULT_PAGE)
    } else {
        first.unwrap_or(DEFAULT_PAGE)
    };

    let mut bounded = select.clone();
    if let Some(a) = &after {
        bounded = bounded.filter(sort.after(a));
    }
    if let Some(b) = &before {
        bounded = bounded.filter(sort.reversed().after(b));
    }
    let walk = if backward {
        sort.reversed()
    } else {
        sort.clone()
    };
    let (rows, beside) = read(walk.apply_order(bounded), Span::first(limit + 1)).await?;
    let mut rows: Vec<(E::Model, Vec<KeyValue>)> = rows
        .into_iter()
        .map(|m| {
            let keys = keys_of(&m);
            (m, keys)
        })
        .collect();
    if rows_come == Rows::AnyOrder {
        rows.sort_by(|(_, a), (_, b)| walk.compare(a, b));
    }
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if backward {
        rows.reverse();
    }
    // Whether anything lies on the other side of the cursor the client came from (the cursor's
    // own row included, when it still exists).
    // Ordered away from the cursor, so the planner walks the sort's index from the cursor (a
    // bare `LIMIT 1` let PostgreSQL scan the table from its start, past every row before it).
    let beyond_cursor = match (backward, &after, &before) {
        (false, Some(a), _) => {
            let near = sort
                .reversed()
                .apply_order(select.filter(sort.at_or_before(a)));
            exists(db, near).await?
        }
        (true, _, Some(b)) => {
            let near = sort.apply_order(select.filter(sort.reversed().at_or_before(b)));
            exists(db, near).await?
        }
        _ => false,
    };
    let (has_next, has_previous) = if backward {
        (beyond_cursor, more)
    } else {
        (more, beyond_cursor)
    };
    let (rows, keys) = rows.into_iter().unzip();
    let page = Page {
        rows,
        keys,
        signature: sort.signature(),
        has_next,
        has_previous,
    };
    Ok((page, beside))
}

async fn exists<E, C>(db: &C, select: Select<E>) -> AppResult<bool>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    Ok(select.limit(1).one(db).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;
    use std::cmp::Ordering::{Equal, Greater, Less};

    fn key(name: &'static str, kind: KeyKind, nullable: bool, descending: bool) -> SortKey {
        SortKey {
            name,
            column: Expr::cust(name),
            kind,
            nullable,
            descending,
        }
    }

    #[test]
    fn rows_compare_as_the_sort_orders_them() {
        let id = |d| key("id", KeyKind::Int, false, d);
        // paid_at descending (NULLs first), then id descending
        let sort = Sort::of([key("paid_at", KeyKind::Time, true, true)], id);
        let t = |s| KeyValue::Time(Utc.timestamp_opt(s, 0).unwrap());
        let row = |paid: KeyValue, n: i64| vec![paid, KeyValue::Int(n)];
        assert_eq!(sort.compare(&row(t(10), 1), &row(t(20), 1)), Greater);
        assert_eq!(sort.compare(&row(KeyValue::Null, 1), &row(t(20), 1)), Less);
        assert_eq!(
            sort.compare(&row(t(10), 2), &row(t(10), 1)),
            Less,
            "ties by id"
        );
        assert_eq!(sort.compare(&row(t(10), 2), &row(t(10), 2)), Equal);
        // reversed (a backward walk): NULLs last, ascending
        let back = sort.reversed();
        assert_eq!(
            back.compare(&row(KeyValue::Null, 1), &row(t(20), 1)),
            Greater
        );
        assert_eq!(back.compare(&row(t(10), 1), &row(t(20), 1)), Less);

        let by = |kind, a: KeyValue, b: KeyValue| {
            Sort::of([key("k", kind, false, false)], id).compare(&[a], &[b])
        };
        let money = |s: &str| KeyValue::Money(s.parse::<Decimal>().unwrap());
        assert_eq!(
            by(KeyKind::Money, money("9.50"), money("10.00")),
            Less,
            "by value"
        );
        assert_eq!(by(KeyKind::Money, money("1.0"), money("1.00")), Equal);
        let text = |s: &str| KeyValue::Text(s.to_owned());
        assert_eq!(by(KeyKind::Text, text("pending"), text("shipped")), Less);
        assert_eq!(by(KeyKind::Int, KeyValue::Int(-3), KeyValue::Int(2)), Less);
    }
}
