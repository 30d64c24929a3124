//! Opt-in PostgreSQL triggers that announce every change of an order, item or payment on the
//! gateway's NOTIFY channel, whoever writes it (the Django application, plain SQL, the gateway),
//! with the payload the gateway's own notifier sends, so every replica's listener decodes them.
//!
//! - An order inserted: `CREATED`; deleted: `DELETED`; updated: `UPDATED` (for the former
//!   customer too when it changed). An update of an order this transaction already wrote (it
//!   was created, or updated, just before) sends nothing more: Django saves an order's total
//!   after inserting its items, and that stays one `CREATED`.
//! - An item inserted, changed or deleted alone: its order `UPDATED`. Checked at commit (a
//!   deferred constraint trigger), so that items written with their order, or deleted with it,
//!   add nothing to its `CREATED` / `DELETED`.
//! - A payment inserted, updated, deleted: `CREATED` / `UPDATED` / `DELETED` of the payment,
//!   routed to its order's customer (a payment deleted after its order, in one transaction,
//!   cannot be routed and is not announced).
//! - Equal payloads sent in one transaction reach listeners once (PostgreSQL folds them).
//!
//! "Written by this transaction" is the row's `xmin` being this transaction's id: inside a
//! savepoint (a nested `atomic` block) it is the savepoint's, and an extra `UPDATED` may come.
//! While the triggers are installed the gateway sends no NOTIFY of its own (it detects them at
//! start), so its writes are announced once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DbBackend, Statement, TransactionSession, TransactionTrait,
};

/// The NOTIFY channel (the gateway's `events::postgres::CHANNEL`).
pub const CHANNEL: &str = "oms_events";

/// The triggers, by name, with their table.
pub const TRIGGERS: [(&str, &str); 6] = [
    ("gw_order_created", "oms_order"),
    ("gw_order_updated", "oms_order"),
    ("gw_order_deleted", "oms_order"),
    ("gw_orderitem_changed", "oms_orderitem"),
    ("gw_payment_changed", "oms_payment"),
    ("gw_payment_updated", "oms_payment"),
];

/// The functions the triggers run.
pub const FUNCTIONS: [&str; 3] = [
    "gateway_order_changed",
    "gateway_item_changed",
    "gateway_payment_changed",
];

const INSTALL: &str = r#"
CREATE OR REPLACE FUNCTION gateway_order_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  written_here boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"CREATED","order_id":%s,"customer_id":%s}', NEW.id, NEW.customer_id));
    RETURN NULL;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"DELETED","order_id":%s,"customer_id":%s}', OLD.id, OLD.customer_id));
    RETURN NULL;
  END IF;
  -- UPDATE, before the row changes: the version it replaces is still the one this sees
  SELECT o.xmin = pg_current_xact_id()::xid INTO written_here FROM oms_order o WHERE o.id = OLD.id;
  IF OLD.customer_id IS DISTINCT FROM NEW.customer_id THEN
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"UPDATED","order_id":%s,"customer_id":%s}', OLD.id, OLD.customer_id));
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"UPDATED","order_id":%s,"customer_id":%s}', NEW.id, NEW.customer_id));
  ELSIF NOT coalesce(written_here, false) THEN
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"UPDATED","order_id":%s,"customer_id":%s}', NEW.id, NEW.customer_id));
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION gateway_item_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed bigint;
  customer bigint;
  written_here boolean;
BEGIN
  FOREACH changed IN ARRAY CASE TG_OP
      WHEN 'INSERT' THEN ARRAY[NEW.order_id]
      WHEN 'DELETE' THEN ARRAY[OLD.order_id]
      ELSE ARRAY[OLD.order_id, NEW.order_id] END
  LOOP
    SELECT o.customer_id, o.xmin = pg_current_xact_id()::xid INTO customer, written_here
      FROM oms_order o WHERE o.id = changed;
    -- gone (deleted with its items) or written by this transaction (its own event says it)
    CONTINUE WHEN NOT FOUND OR written_here;
    PERFORM pg_notify('oms_events', format('{"type":"order","kind":"UPDATED","order_id":%s,"customer_id":%s}', changed, customer));
  END LOOP;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION gateway_payment_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  customer bigint;
  written_here boolean;
  row_ oms_payment;
  kind text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    row_ := OLD;
    kind := 'DELETED';
  ELSE
    row_ := NEW;
    kind := CASE TG_OP WHEN 'INSERT' THEN 'CREATED' ELSE 'UPDATED' END;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.order_id = NEW.order_id THEN
    SELECT p.xmin = pg_current_xact_id()::xid INTO written_here FROM oms_payment p WHERE p.id = OLD.id;
    IF coalesce(written_here, false) THEN
      RETURN NEW;
    END IF;
  END IF;
  SELECT o.customer_id INTO customer FROM oms_order o WHERE o.id = row_.order_id;
  IF FOUND THEN
    PERFORM pg_notify('oms_events', format('{"type":"payment","kind":"%s","payment_id":%s,"order_id":%s,"customer_id":%s}', kind, row_.id, row_.order_id, customer));
  END IF;
  IF TG_OP = 'UPDATE' THEN
    RETURN NEW;
  END IF;
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS gw_order_created ON oms_order;
CREATE TRIGGER gw_order_created AFTER INSERT ON oms_order FOR EACH ROW EXECUTE FUNCTION gateway_order_changed();
DROP TRIGGER IF EXISTS gw_order_updated ON oms_order;
CREATE TRIGGER gw_order_updated BEFORE UPDATE ON oms_order FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION gateway_order_changed();
DROP TRIGGER IF EXISTS gw_order_deleted ON oms_order;
CREATE TRIGGER gw_order_deleted AFTER DELETE ON oms_order FOR EACH ROW EXECUTE FUNCTION gateway_order_changed();
DROP TRIGGER IF EXISTS gw_orderitem_changed ON oms_orderitem;
CREATE CONSTRAINT TRIGGER gw_orderitem_changed AFTER INSERT OR UPDATE OR DELETE ON oms_orderitem DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gateway_item_changed();
DROP TRIGGER IF EXISTS gw_payment_changed ON oms_payment;
CREATE TRIGGER gw_payment_changed AFTER INSERT OR DELETE ON oms_payment FOR EACH ROW EXECUTE FUNCTION gateway_payment_changed();
DROP TRIGGER IF EXISTS gw_payment_updated ON oms_payment;
CREATE TRIGGER gw_payment_updated BEFORE UPDATE ON oms_payment FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION gateway_payment_changed();
"#;

/// Splits the script on the blank lines between its statements (function bodies hold `;`).
fn statements(script: &str) -> impl Iterator<Item = &str> {
    script
        .split("\n\n")
        .flat_map(|block| {
            if block.trim_start().starts_with("CREATE OR REPLACE FUNCTION") {
                vec![block]
            } else {
                block.lines().collect()
            }
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn postgres_only(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(DbErr::Migration(
            "change triggers need PostgreSQL (its NOTIFY); SQLite has only the gateway's own events"
                .into(),
        ));
    }
    Ok(())
}

/// Installs (or replaces) the triggers and their functions, in one transaction.
pub async fn install<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<(), DbErr> {
    postgres_only(db)?;
    let txn = db.begin().await?;
    for statement in statements(INSTALL) {
        txn.execute_unprepared(statement).await?;
    }
    txn.commit().await
}

/// Removes the triggers and their functions (nothing if absent). PostgreSQL only; a no-op on
/// SQLite.
pub async fn remove<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for (name, table) in TRIGGERS {
        if crate::sql::table_exists_on(db, table).await? {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                .await?;
        }
    }
    for function in FUNCTIONS {
        db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
            .await?;
    }
    Ok(())
}

/// Whether the triggers are installed (all of them) on this database.
pub async fn installed<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let names = TRIGGERS
        .iter()
        .map(|(name, _)| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT count(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname IN ({names})"
            ),
        ))
        .await?;
    let n = match row {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(n == TRIGGERS.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_splits_into_whole_functions_and_single_statements() {
        let all: Vec<&str> = statements(INSTALL).collect();
        let functions = all
            .iter()
            .filter(|s| s.starts_with("CREATE OR REPLACE FUNCTION"))
            .count();
        assert_eq!(functions, FUNCTIONS.len());
        let creates = all.iter().filter(|s| s.contains("CREATE ")).count();
        assert_eq!(creates, FUNCTIONS.len() + TRIGGERS.len());
        for (name, _) in TRIGGERS {
            assert!(all.iter().any(|s| s.contains(&format!("TRIGGER {name} "))));
        }
        assert!(INSTALL.contains(&format!("'{CHANNEL}'")));
    }
}
