//! The demo data of CONTRACT §2, loaded idempotently, and the token helper of the command line.

use entity::{category, location, order, order_item, product, stock, user, warehouse};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::service::{NewUser, create_user};
use crate::auth::token::{Subject, TokenType};
use crate::auth::{Access, Principal};
use crate::catalog::service::{self as catalog, NewProduct};
use crate::error::AppError;
use crate::orders::service::{self as orders, NewItem, NewOrder};
use crate::orders::status::OrderStatus;
use crate::payments::service::{self as payments, NewPayment};
use crate::payments::status::PaymentStatus;
use crate::state::AppState;

/// Loads the demo data (CONTRACT §2); what already exists is left alone, so running it again
/// changes nothing. Returns a one-line report.
pub async fn load(state: &AppState) -> anyhow::Result<String> {
    let db = &state.db;
    let mut created = Vec::new();
    let admin = ensure_user(
        state,
        "admin",
        "adminpass",
        "admin@example.com",
        true,
        &mut created,
    )
    .await?;
    let customer = ensure_user(
        state,
        "user",
        "userpass",
        "user@example.com",
        false,
        &mut created,
    )
    .await?;
    let staff = Access::system(Principal {
        id: admin.id,
        username: admin.username.clone(),
        email: admin.email.clone(),
        is_staff: true,
    });
    let fail = |e: AppError| anyhow::anyhow!(describe_error(&e));

    let category = match category::Entity::find()
        .filter(category::Column::Name.eq("Electronics"))
        .one(db)
        .await?
    {
        Some(c) => c,
        None => {
            created.push("category Electronics");
            catalog::create_category(state, &staff, "Electronics")
                .await
                .map_err(fail)?
        }
    };
    let laptop = match product::Entity::find()
        .filter(product::Column::Sku.eq("SKU123"))
        .one(db)
        .await?
    {
        Some(p) => p,
        None => {
            created.push("product Laptop");
            catalog::create_product(
                state,
                &staff,
                NewProduct {
                    name: "Laptop".into(),
                    sku: "SKU123".into(),
                    price: Decimal::new(99_999, 2),
                    category_id: category.id,
                    description: Some("A demo laptop".into()),
                },
            )
            .await
            .map_err(fail)?
        }
    };
    let warehouse = match warehouse::Entity::find()
        .filter(warehouse::Column::Name.eq("Main WH"))
        .one(db)
        .await?
    {
        Some(w) => w,
        None => {
            created.push("warehouse Main WH");
            catalog::create_warehouse(state, &staff, "Main WH", Some("123 Street".into()))
                .await
                .map_err(fail)?
        }
    };
    let location = match location::Entity::find()
        .filter(location::Column::Code.eq("A1"))
        .one(db)
        .await?
    {
        Some(l) => l,
        None => {
            created.push("location A1");
            catalog::create_location(state, &staff, warehouse.id, "A1", Some("Shelf A1".into()))
                .await
                .map_err(fail)?
        }
    };
    let stock = match stock::Entity::find()
        .filter(stock::Column::ProductId.eq(laptop.id))
        .filter(stock::Column::LocationId.eq(location.id))
        .one(db)
        .await?
    {
        Some(s) => s,
        None => {
            created.push("stock of 50 Laptops at A1");
            catalog::create_stock(state, &staff, laptop.id, location.id, 50)
                .await
                .map_err(fail)?
        }
    };
    let has_demo_order = order_item::Entity::find()
        .inner_join(order::Entity)
        .filter(order::Column::CustomerId.eq(customer.id))
        .filter(order_item::Column::ProductId.eq(laptop.id))
        .one(db)
        .await?
        .is_some();
    if !has_demo_order {
        created.push("pending order of user for 1 Laptop with a pending payment");
        let placed = orders::create_order(
            state,
            &staff,
            NewOrder {
                customer_id: Some(customer.id),
                status: Some(OrderStatus::Pending),
                items: vec![NewItem {
                    product_id: Some(laptop.id),
                    quantity: Some(1),
                    price: Some(laptop.price.0),
                    stock_id: Some(stock.id),
                }],
                errors: Default::default(),
            },
        )
        .await
        .map_err(fail)?;
        payments::create_payment(
            state,
            &staff,
            NewPayment {
                order_id: Some(placed.id),
                amount: Some(placed.total_amount.0),
                payment_method: Some("Credit Card".into()),
                status: Some(PaymentStatus::Pending),
                errors: Default::default(),
            },
        )
        .await
        .map_err(fail)?;
    }
    Ok(if created.is_empty() {
        "demo data already present".to_owned()
    } else {
        format!("demo data loaded: {}", created.join(", "))
    })
}

async fn ensure_user(
    state: &AppState,
    username: &str,
    password: &str,
    email: &str,
    staff: bool,
    created: &mut Vec<&'static str>,
) -> anyhow::Result<user::Model> {
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&state.db)
        .await?
    {
        return Ok(u);
    }
    created.push(if staff {
        "staff user admin"
    } else {
        "customer user"
    });
    create_user(
        state,
        NewUser {
            username,
            password,
            email: Some(email),
            staff,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(describe_error(&e)))
}

/// An access token for an active user of that name.
pub async fn access_token_for(state: &AppState, username: &str) -> anyhow::Result<Option<String>> {
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .filter(user::Column::IsActive.eq(true))
        .one(&state.db)
        .await?;
    Ok(found.map(|u| {
        state
            .tokens
            .mint(
                TokenType::Access,
                &Subject {
                    id: u.id,
                    username: &u.username,
                    email: &u.email,
                },
            )
            .0
    }))
}

/// One line for an error of a command-line use case.
pub fn describe_error(e: &AppError) -> String {
    match e {
        AppError::Validation(errors) => errors
            .fields
            .iter()
            .map(|(path, problems)| {
                let msgs: Vec<String> = problems.iter().map(|p| p.drf()).collect();
                format!("{path}: {}", msgs.join(" "))
            })
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Internal(cause) => format!("{cause:#}"),
        other => format!("{other:?}"),
    }
}
