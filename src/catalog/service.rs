//! The catalog and stock rules: categories, products, warehouses, locations and stock rows.
//! Reads are open to anyone who may read; every write is staff only. Also the batch readers
//! the loaders and the REST layer use to resolve references in one statement per table.

use std::collections::HashMap;

use entity::{Money, category, location, product, stock, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::auth::Access;
use crate::error::{AppError, AppResult, FieldErrors, Problem, unique_violation_field};
use crate::state::AppState;
use crate::{money, time};

/// Rows of `E` by id, in one statement (none for an empty list).
macro_rules! by_ids {
    ($name:ident, $module:ident) => {
        pub async fn $name<C: ConnectionTrait>(
            db: &C,
            ids: &[i64],
        ) -> AppResult<HashMap<i64, $module::Model>> {
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            let rows = $module::Entity::find()
                .filter($module::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?;
            Ok(rows.into_iter().map(|r| (r.id, r)).collect())
        }
    };
}

by_ids!(products_by_id, product);
by_ids!(categories_by_id, category);
by_ids!(stocks_by_id, stock);
by_ids!(locations_by_id, location);
by_ids!(warehouses_by_id, warehouse);

/// On any connection (the pool, or a request's `Reads`), as every read here.
pub async fn products<C: ConnectionTrait>(
    db: &C,
    access: &Access,
) -> AppResult<Vec<product::Model>> {
    access.read_scope()?;
    Ok(product::Entity::find()
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?)
}

pub async fn warehouses<C: ConnectionTrait>(
    db: &C,
    access: &Access,
) -> AppResult<Vec<warehouse::Model>> {
    access.read_scope()?;
    Ok(warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?)
}

pub async fn stocks<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    product_id: Option<i64>,
    location_id: Option<i64>,
) -> AppResult<Vec<stock::Model>> {
    access.read_scope()?;
    let mut q = stock::Entity::find().order_by_asc(stock::Column::Id);
    if let Some(p) = product_id {
        q = q.filter(stock::Column::ProductId.eq(p));
    }
    if let Some(l) = location_id {
        q = q.filter(stock::Column::LocationId.eq(l));
    }
    Ok(q.all(db).await?)
}

/// Django's `slugify`: lowercase ASCII letters, digits and hyphens.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
            dash = false;
        } else if (c.is_whitespace() || c == '-' || c == '_') && !slug.is_empty() && !dash {
            slug.push('-');
            dash = true;
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add_field(field, Problem::Blank);
    } else if v.chars().count() > max {
        errors.add_field(field, Problem::MaxLength(max));
    }
    v.to_owned()
}

fn unique_error(
    e: sea_orm::DbErr,
    model: &'static str,
    columns: &[(&str, &'static str)],
) -> AppError {
    match unique_violation_field(&e, columns) {
        Some(field) => AppError::invalid(field, Problem::Unique { model, field }),
        None => e.into(),
    }
}

pub async fn create_category(
    state: &AppState,
    access: &Access,
    name: &str,
) -> AppResult<category::Model> {
    access.staff()?;
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", name, 255);
    let slug = slugify(&name);
    if !name.is_empty() && slug.is_empty() {
        errors.add_field(
            "name",
            Problem::Rule("must contain a letter or digit".into()),
        );
    }
    errors.into_result()?;
    if category::Entity::find()
        .filter(
            category::Column::Name
                .eq(&name)
                .or(category::Column::Slug.eq(&slug)),
        )
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::invalid(
            "name",
            Problem::Unique {
                model: "category",
                field: "name",
            },
        ));
    }
    let tree_id: Option<i32> = category::Entity::find()
        .select_only()
        .column_as(category::Column::TreeId.max(), "max_tree_id")
        .into_tuple::<Option<i32>>()
        .one(&state.db)
        .await?
        .flatten();
    let model = category::ActiveModel {
        name: Set(name),
        slug: Set(slug),
        lft: Set(1),
        rght: Set(2),
        tree_id: Set(tree_id.unwrap_or(0) + 1),
        level: Set(0),
        parent_id: Set(None),
        ..Default::default()
    };
    model
        .insert(&state.db)
        .await
        .map_err(|e| unique_error(e, "category", &[("name", "name"), ("slug", "name")]))
}

/// Input of `createProduct`.
pub struct NewProduct {
    pub name: String,
    pub sku: String,
    pub price: Decimal,
    pub category_id: i64,
    pub description: Option<String>,
}

pub async fn create_product(
    state: &AppState,
    access: &Access,
    input: NewProduct,
) -> AppResult<product::Model> {
    let caller = access.staff()?;
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", &input.name, 255);
    let sku = required_text(&mut errors, "sku", &input.sku, 100);
    let price = match money::price(input.price) {
        Ok(p) => p,
        Err(problems) => {
            for p in problems {
                errors.add_field("price", p);
            }
            Money::ZERO
        }
    };
    let slug = slugify(&name);
    if category::Entity::find_by_id(input.category_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        errors.add_field(
            "category_id",
            Problem::DoesNotExist(input.category_id.to_string()),
        );
    }
    if !name.is_empty() {
        if product::Entity::find()
            .filter(product::Column::Name.eq(&name))
            .one(&state.db)
            .await?
            .is_some()
        {
            errors.add_field(
                "name",
                Problem::Unique {
                    model: "product",
                    field: "name",
                },
            );
        } else if product::Entity::find()
            .filter(product::Column::Slug.eq(&slug))
            .one(&state.db)
            .await?
            .is_some()
        {
            errors.add_field(
                "name",
                Problem::Unique {
                    model: "product",
                    field: "slug",
                },
            );
        }
    }
    if !sku.is_empty()
        && product::Entity::find()
            .filter(product::Column::Sku.eq(&sku))
            .one(&state.db)
            .await?
            .is_some()
    {
        errors.add_field(
            "sku",
            Problem::Unique {
                model: "product",
                field: "sku",
            },
        );
    }
    errors.into_result()?;
    let now = time::now();
    let model = product::Model {
        id: 0,
        name,
        slug,
        description: input.description.filter(|d| !d.trim().is_empty()),
        sku,
        price,
        created_at: now,
        updated_at: now,
        category_id: input.category_id,
        created_by_id: Some(caller.id),
    };
    let mut active: product::ActiveModel = model.clone().into();
    active.id = sea_orm::ActiveValue::NotSet;
    // no RETURNING of the money column (see `orders::service::create_order`)
    let id = product::Entity::insert(active)
        .exec(&state.db)
        .await
        .map_err(|e| {
            unique_error(
                e,
                "product",
                &[("sku", "sku"), ("name", "name"), ("slug", "name")],
            )
        })?
        .last_insert_id;
    Ok(product::Model { id, ..model })
}

pub async fn create_warehouse(
    state: &AppState,
    access: &Access,
    name: &str,
    address: Option<String>,
) -> AppResult<warehouse::Model> {
    access.staff()?;
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", name, 255);
    errors.into_result()?;
    let now = time::now();
    let model = warehouse::ActiveModel {
        name: Set(name),
        address: Set(address.filter(|a| !a.trim().is_empty())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    model
        .insert(&state.db)
        .await
        .map_err(|e| unique_error(e, "warehouse", &[("name", "name")]))
}

pub async fn create_location(
    state: &AppState,
    access: &Access,
    warehouse_id: i64,
    code: &str,
    description: Option<String>,
) -> AppResult<location::Model> {
    access.staff()?;
    let mut errors = FieldErrors::new();
    let code = required_text(&mut errors, "code", code, 100);
    if warehouse::Entity::find_by_id(warehouse_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        errors.add_field(
            "warehouse_id",
            Problem::DoesNotExist(warehouse_id.to_string()),
        );
    }
    errors.into_result()?;
    let model = location::ActiveModel {
        code: Set(code),
        description: Set(description.filter(|d| !d.trim().is_empty())),
        warehouse_id: Set(warehouse_id),
        ..Default::default()
    };
    model
        .insert(&state.db)
        .await
        .map_err(|e| unique_error(e, "location", &[("code", "code")]))
}

pub async fn create_stock(
    state: &AppState,
    access: &Access,
    product_id: i64,
    location_id: i64,
    quantity: i64,
) -> AppResult<stock::Model> {
    access.staff()?;
    let mut errors = FieldErrors::new();
    if product::Entity::find_by_id(product_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        errors.add_field("product_id", Problem::DoesNotExist(product_id.to_string()));
    }
    if location::Entity::find_by_id(location_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        errors.add_field(
            "location_id",
            Problem::DoesNotExist(location_id.to_string()),
        );
    }
    if quantity < 0 {
        errors.add_field("quantity", Problem::MinValue(0));
    } else if quantity > i32::MAX as i64 {
        errors.add_field("quantity", Problem::MaxValue(i32::MAX as i64));
    }
    errors.into_result()?;
    let model = stock::ActiveModel {
        quantity: Set(quantity as i32),
        updated_at: Set(time::now()),
        location_id: Set(location_id),
        product_id: Set(product_id),
        ..Default::default()
    };
    model.insert(&state.db).await.map_err(|e| {
        match unique_violation_field(&e, &[("product_id", "location_id")]) {
            Some(_) => AppError::invalid(
                "location_id",
                Problem::Rule("This location already holds a stock row for that product.".into()),
            ),
            None => e.into(),
        }
    })
}

/// Adds `delta` (negative to take out) in one guarded statement: never below zero, also under
/// concurrent adjustments and orders.
pub async fn adjust_stock(
    state: &AppState,
    access: &Access,
    id: i64,
    delta: i64,
) -> AppResult<stock::Model> {
    access.staff()?;
    if delta.abs() > i32::MAX as i64 {
        return Err(AppError::invalid(
            "delta",
            Problem::MaxValue(i32::MAX as i64),
        ));
    }
    let result = stock::Entity::update_many()
        .col_expr(
            stock::Column::Quantity,
            Expr::col(stock::Column::Quantity).add(delta),
        )
        .col_expr(stock::Column::UpdatedAt, Expr::val(time::now()))
        .filter(stock::Column::Id.eq(id))
        .filter(Expr::col(stock::Column::Quantity).add(delta).gte(0))
        .filter(
            Expr::col(stock::Column::Quantity)
                .add(delta)
                .lte(i32::MAX as i64),
        )
        .exec(&state.db)
        .await?;
    let current = stock::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound("Stock"))?;
    if result.rows_affected == 0 {
        let message = if delta < 0 {
            format!(
                "Insufficient stock: {} units held, cannot take out {}.",
                current.quantity, -delta
            )
        } else {
            format!(
                "A stock row holds at most {} units: {} held, {delta} more do not fit.",
                i32::MAX,
                current.quantity
            )
        };
        return Err(AppError::conflict_on(
            crate::error::FieldPath::field("delta"),
            message,
        ));
    }
    Ok(current)
}
