//! Aggregates over a filtered list (`ordersAggregate`, `paymentsAggregate`): the count and the
//! sum, average, minimum and maximum of one money column, overall and per group, in one SQL
//! statement. The slices choose the rows (their read scope and filter), the money column and
//! the group keys; this module builds and reads the statement.
//!
//! The custom SQL below names its operand `$1` on PostgreSQL and `?` on SQLite: sea-query
//! substitutes the backend's own placeholder mark.
//!
//! Money stays exact. PostgreSQL: `SUM`, `MIN` and `MAX` of `numeric` are exact; they are read
//! as text. SQLite stores a `numeric(12, 2)` column with NUMERIC affinity, that is as a REAL
//! (a double), and its `SUM` of REALs is floating point (0.1 + 0.2 gives 0.30000000000000004).
//! So on SQLite each amount becomes integer cents first, `CAST(ROUND(amount * 100) AS
//! INTEGER)` (exact: a double holds the 12 significant digits of `numeric(12, 2)` far closer
//! than half a cent), and SQLite sums those integers exactly. The average is the exact sum
//! divided by the count, in Rust, rounded to 2 places half away from zero: the same on both.

use entity::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::{Expr, Order, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryResult, QueryTrait, Select};

use crate::error::AppResult;

/// Sum, average, minimum and maximum of a money column; `None` over no rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub sum: Option<Decimal>,
    /// `sum / count`, rounded to 2 places half away from zero.
    pub avg: Option<Decimal>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

/// How many rows, and their amounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: u64,
    pub amounts: Amounts,
}

impl Totals {
    fn new(count: u64, sum: Option<Decimal>, min: Option<Decimal>, max: Option<Decimal>) -> Self {
        let avg = sum.filter(|_| count > 0).map(|s| {
            (s / Decimal::from(count))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        });
        Totals {
            count,
            amounts: Amounts { sum, avg, min, max },
        }
    }

    /// The totals of `groups` together (exact: sums add up, the average is taken again).
    fn merge<'a>(groups: impl Iterator<Item = &'a Totals>) -> Totals {
        let (mut count, mut sum, mut min, mut max) = (0, None, None, None);
        for g in groups {
            count += g.count;
            let a = g.amounts;
            sum = add(sum, a.sum, |x, y| x + y);
            min = add(min, a.min, Decimal::min);
            max = add(max, a.max, Decimal::max);
        }
        Totals::new(count, sum, min, max)
    }
}

fn add(
    a: Option<Decimal>,
    b: Option<Decimal>,
    f: fn(Decimal, Decimal) -> Decimal,
) -> Option<Decimal> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// One group: its key (one text per group expression, `None` for NULL) and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<Option<String>>,
    pub totals: Totals,
}

/// All the rows' totals and, when grouped, each group's, ordered by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregation {
    pub totals: Totals,
    pub groups: Vec<Group>,
}

/// The UTC calendar day of a timestamp column as `YYYY-MM-DD`.
pub fn utc_day(backend: DbBackend, col: Expr) -> Expr {
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_expr("to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD')", col)
        }
        _ => Expr::cust_with_expr("strftime('%Y-%m-%d', ?)", col),
    }
}

/// The UTC month of a timestamp column as `YYYY-MM`.
pub fn utc_month(backend: DbBackend, col: Expr) -> Expr {
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_expr("to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM')", col)
        }
        _ => Expr::cust_with_expr("strftime('%Y-%m', ?)", col),
    }
}

/// A group key read as text (grouped and ordered by its own value, so ids sort as numbers).
fn as_text(backend: DbBackend, key: Expr) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_expr("CAST($1 AS TEXT)", key),
        _ => Expr::cust_with_expr("CAST(? AS TEXT)", key),
    }
}

/// Counts and totals `amount` over the rows `rows` selects, grouped by each of `group_by` once
/// (in first-seen order; `key` gives a group key's expression): those keys, and the
/// aggregation whose group keys hold one text per key, in that order.
pub async fn aggregate_by<C, E, G>(
    db: &C,
    rows: Select<E>,
    amount: Expr,
    group_by: &[G],
    key: impl Fn(G, DbBackend) -> Expr,
) -> AppResult<(Vec<G>, Aggregation)>
where
    C: ConnectionTrait,
    E: EntityTrait,
    G: PartialEq + Copy,
{
    let backend = db.get_database_backend();
    let keys = distinct(group_by);
    let groups: Vec<Expr> = keys.iter().map(|g| key(*g, backend)).collect();
    let aggregation = aggregate(db, rows.into_query(), amount, &groups).await?;
    Ok((keys, aggregation))
}

/// Each key once, in first-seen order (a `groupBy` naming a key twice groups by it once).
fn distinct<T: PartialEq + Copy>(keys: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if !out.contains(k) {
            out.push(*k);
        }
    }
    out
}

/// Counts and totals `amount` over the rows `rows` selects, grouped by `groups` (text
/// expressions; none: one overall row), in one statement.
async fn aggregate<C: ConnectionTrait>(
    db: &C,
    mut rows: SelectStatement,
    amount: Expr,
    groups: &[Expr],
) -> AppResult<Aggregation> {
    let backend = db.get_database_backend();
    rows.clear_selects();
    rows.clear_order_by();
    rows.expr_as(Expr::cust("COUNT(*)"), "n");
    let money = |f: &str| match backend {
        DbBackend::Postgres => {
            Expr::cust_with_expr(format!("CAST({f}($1) AS TEXT)"), amount.clone())
        }
        _ => Expr::cust_with_expr(
            format!("{f}(CAST(ROUND(? * 100) AS INTEGER))"),
            amount.clone(),
        ),
    };
    rows.expr_as(money("SUM"), "total")
        .expr_as(money("MIN"), "lowest")
        .expr_as(money("MAX"), "highest");
    for (i, g) in groups.iter().enumerate() {
        rows.expr_as(as_text(backend, g.clone()), format!("k{i}"));
        rows.add_group_by([g.clone()]);
        rows.order_by_expr(g.clone(), Order::Asc);
    }
    let results = db.query_all(&rows).await?;
    let mut read = Vec::with_capacity(results.len());
    for r in &results {
        let key = (0..groups.len())
            .map(|i| r.try_get::<Option<String>>("", &format!("k{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        read.push(Group {
            key,
            totals: totals(backend, r)?,
        });
    }
    if groups.is_empty() {
        let totals = read.first().map(|g| g.totals).unwrap_or_default();
        return Ok(Aggregation {
            totals,
            groups: Vec::new(),
        });
    }
    Ok(Aggregation {
        totals: Totals::merge(read.iter().map(|g| &g.totals)),
        groups: read,
    })
}

/// A row's count and amounts: PostgreSQL's numeric text, SQLite's integer cents.
fn totals(backend: DbBackend, r: &QueryResult) -> AppResult<Totals> {
    let count: i64 = r.try_get("", "n")?;
    let amount = |name: &str| -> AppResult<Option<Decimal>> {
        Ok(match backend {
            // a total that is not an amount is an error, never a silent null
            DbBackend::Postgres => match r.try_get::<Option<String>>("", name)? {
                None => None,
                Some(t) => Some(Money::from_column_text(&t)?.amount()),
            },
            _ => r
                .try_get::<Option<i64>>("", name)?
                .map(|cents| Decimal::new(cents, 2)),
        })
    };
    Ok(Totals::new(
        u64::try_from(count).unwrap_or(0),
        amount("total")?,
        amount("lowest")?,
        amount("highest")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn average_is_rounded_half_away_from_zero() {
        let t = Totals::new(2, Some(d("0.05")), None, None);
        assert_eq!(t.amounts.avg, Some(d("0.03")));
        let t = Totals::new(3, Some(d("10.00")), None, None);
        assert_eq!(t.amounts.avg, Some(d("3.33")));
        assert_eq!(Totals::new(0, None, None, None).amounts.avg, None);
    }

    #[test]
    fn groups_merge_exactly() {
        let a = Totals::new(2, Some(d("0.30")), Some(d("0.10")), Some(d("0.20")));
        let b = Totals::new(1, Some(d("5.00")), Some(d("5.00")), Some(d("5.00")));
        let all = Totals::merge([a, b].iter());
        assert_eq!(all.count, 3);
        assert_eq!(all.amounts.sum, Some(d("5.30")));
        assert_eq!(all.amounts.min, Some(d("0.10")));
        assert_eq!(all.amounts.max, Some(d("5.00")));
        assert_eq!(all.amounts.avg, Some(d("1.77")));
    }
}
