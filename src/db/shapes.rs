//! Statements built once per shape. The SQL of a statement that binds lists of ids depends only
//! on its shape (which parts it has, how many ids each list holds), not on the ids; building it
//! with sea-query every time (the AST, then the text) was a quarter of the instructions of a
//! REST order read (BENCHMARKS.md). A [`Shapes`] builds each shape's SQL once, with the same
//! builder, and binds each request's ids into it.
//!
//! One definition: which id goes to which placeholder is not written down beside the builder
//! but read off it. A shape is built with stand-in ids that name their list and position, and
//! the values of the built statement then say, in order, which id each placeholder takes. A
//! built statement with any other value is not memoized (it is built every time).

use std::hash::Hash;
use std::sync::Arc;

use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, Statement};

use crate::memo::Memo;

/// Shapes kept, the least recently used forgotten first: a gateway uses a few dozen (page
/// sizes, one order, a list's chunks); a bound keeps unusual ones from growing it.
const CAPACITY: usize = 256;

/// Longest SQL memoized: a REST page of up to 1,000 orders binds that many ids, and 256 such
/// texts would hold megabytes; a page of GraphQL's 100 fits well below.
const LONGEST: usize = 16 * 1024;

/// A stand-in id: this bit, the list's number from bit 40, the position below.
const STAND_IN: i64 = 1 << 62;
const LIST_SHIFT: u32 = 40;
const MAX_LISTS: usize = 1 << 8;

/// Where a placeholder's value comes from: (list, position).
type Plan = Vec<(usize, usize)>;

/// A shape's SQL and its plan; `None` for a shape that is built every time.
type Memoized = Option<Arc<(String, Plan)>>;

/// A memo of statement shapes keyed by `K` (which should hold everything but the ids and the
/// backend that decides the SQL: the parts, the lists' lengths).
pub struct Shapes<K: Hash + Eq> {
    memo: Memo<(bool, K), Memoized>,
}

impl<K: Hash + Eq> Default for Shapes<K> {
    fn default() -> Self {
        Shapes {
            memo: Memo::new(CAPACITY),
        }
    }
}

impl<K: Hash + Eq> Shapes<K> {
    /// The statement `build` makes from the id lists `lists` on `backend`, from the memo when
    /// the shape `key` was seen before on that backend. `build` must make the same SQL for any
    /// lists of the same lengths (the key's), binding each id it uses as a `BigInt` value.
    pub fn statement(
        &self,
        backend: DbBackend,
        key: K,
        lists: &[&[i64]],
        build: impl Fn(&[&[i64]]) -> Option<Statement>,
    ) -> Option<Statement> {
        let key = (backend == DbBackend::Postgres, key);
        let shape = match self.memo.get(&key) {
            Some(shape) => shape,
            None => {
                let shape = plan(lists, &build);
                self.memo.put(key, shape.clone());
                shape
            }
        };
        let Some(shape) = shape else {
            return build(lists);
        };
        let (sql, plan) = &*shape;
        let values: Option<Vec<Value>> = plan
            .iter()
            .map(|&(list, at)| Some(Value::BigInt(Some(*lists.get(list)?.get(at)?))))
            .collect();
        // lists shorter than the key promised (a caller's mistake): built, never mis-bound
        let Some(values) = values else {
            return build(lists);
        };
        Some(Statement::from_sql_and_values(backend, sql.clone(), values))
    }
}

/// Builds the shape with stand-in ids and reads which id each placeholder takes; `None` when
/// the builder made no statement, a longer one than `LONGEST`, or bound a value that is not
/// one of the ids.
fn plan(lists: &[&[i64]], build: &impl Fn(&[&[i64]]) -> Option<Statement>) -> Memoized {
    if lists.len() > MAX_LISTS {
        return None;
    }
    let stand_ins: Vec<Vec<i64>> = lists
        .iter()
        .enumerate()
        .map(|(n, ids)| {
            (0..ids.len())
                .map(|at| STAND_IN | ((n as i64) << LIST_SHIFT) | at as i64)
                .collect()
        })
        .collect();
    let refs: Vec<&[i64]> = stand_ins.iter().map(Vec::as_slice).collect();
    let built = build(&refs)?;
    if built.sql.len() > LONGEST {
        return None;
    }
    let values = built.values.map(|v| v.0).unwrap_or_default();
    let mut plan = Vec::with_capacity(values.len());
    for value in values {
        let Value::BigInt(Some(v)) = value else {
            return None;
        };
        if v & STAND_IN == 0 {
            return None;
        }
        let list = ((v & !STAND_IN) >> LIST_SHIFT) as usize;
        let at = (v & ((1 << LIST_SHIFT) - 1)) as usize;
        if list >= lists.len() || at >= lists[list].len() {
            return None;
        }
        plan.push((list, at));
    }
    Some(Arc::new((built.sql, plan)))
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    use super::*;

    /// A statement over two lists, as the relations of orders are built: the second list used
    /// twice, the first once, and a literal that is not bound.
    fn build(backend: DbBackend, lists: &[&[i64]]) -> Option<Statement> {
        if lists[1].is_empty() {
            return None;
        }
        let mut q = Query::select();
        q.expr(Expr::cust("1"))
            .from("t")
            .and_where(Expr::col("a").is_in(lists[1].iter().copied()))
            .and_where(Expr::col("b").is_in(lists[0].iter().copied()))
            .and_where(Expr::col("c").is_in(lists[1].iter().copied()));
        Some(backend.build(&q))
    }

    #[test]
    fn a_memoized_shape_binds_each_requests_ids_where_the_builder_would() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let shapes = Shapes::default();
            let requests: [(&[i64], &[i64]); 4] = [
                (&[7, 3], &[10, 11, 12]),
                (&[1, 2], &[30, 20, 10]),
                (&[5], &[1]),
                (&[9, 8], &[4, 5, 6]),
            ];
            for (customers, orders) in requests {
                let lists = [customers, orders];
                let key = (customers.len(), orders.len());
                let memoized = shapes.statement(backend, key, &lists, |l| build(backend, l));
                assert_eq!(memoized, build(backend, &lists), "{backend:?} {lists:?}");
            }
            assert_eq!(shapes.memo.len(), 2);
            // a key that lied about the lengths: built, not bound out of range
            let short: [&[i64]; 2] = [&[4, 2], &[8, 9]];
            let key = (2, 3);
            let made = shapes.statement(backend, key, &short, |l| build(backend, l));
            assert_eq!(made, build(backend, &short));
            let key = (1, 0);
            let none = shapes.statement(backend, key, &[&[1], &[]], |l| build(backend, l));
            assert_eq!(none, None);
        }
    }

    #[test]
    fn a_long_statement_is_built_every_time() {
        let shapes = Shapes::default();
        let many: Vec<i64> = (1..=4000).collect();
        let lists: [&[i64]; 2] = [&[1], &many];
        let made = shapes.statement(DbBackend::Postgres, 7, &lists, |l| {
            build(DbBackend::Postgres, l)
        });
        assert_eq!(made, build(DbBackend::Postgres, &lists));
        assert!(made.unwrap().sql.len() > LONGEST);
        assert_eq!(shapes.memo.get(&(true, 7)), Some(None));
    }

    #[test]
    fn a_statement_with_other_values_is_built_every_time() {
        let shapes = Shapes::default();
        let with_literal = |lists: &[&[i64]]| {
            let mut q = Query::select();
            q.expr(Expr::val("x"))
                .from("t")
                .and_where(Expr::col("a").is_in(lists[0].iter().copied()));
            Some(DbBackend::Postgres.build(&q))
        };
        for ids in [[1_i64, 2], [3, 4]] {
            let made = shapes.statement(DbBackend::Postgres, 2, &[&ids], with_literal);
            assert_eq!(made, with_literal(&[&ids]));
        }
        assert_eq!(shapes.memo.get(&(true, 2)), Some(None));
    }
}
