//! Rows decoded by position (`entity::positional::Cell`, which on PostgreSQL skips sqlx's type
//! check) equal the same rows decoded by SeaORM by name, with its type checks, on the legacy
//! application's own tables: a column whose type did not match its field would make SeaORM's
//! side fail here.

use entity::{category, location, order, order_item, payment, product, stock, warehouse};
use migration::sea_orm::{EntityTrait, Set};
use oms_gateway::db::all_positional;

use crate::fixtures::demo;
use crate::helpers::{spawn_app_on, test_settings};
use crate::legacy::legacy_database;

async fn same_rows<E>(app: &crate::helpers::TestApp) -> usize
where
    E: EntityTrait,
    E::Model: entity::Positional + PartialEq + std::fmt::Debug,
{
    let by_name = E::find()
        .all(app.db())
        .await
        .expect("SeaORM decodes by name");
    let by_position = all_positional(app.db(), E::find())
        .await
        .expect("decoded by position");
    assert_eq!(by_position, by_name, "{}", std::any::type_name::<E>());
    by_name.len()
}

#[tokio::test]
async fn rows_decoded_by_position_equal_seaorms_checked_decoding() {
    let database = legacy_database(false).await;
    let settings = test_settings(&database.url);
    let app = spawn_app_on(database, settings).await;
    let d = demo(&app).await;
    // a paid payment too: a set `paid_at` beside the demo's NULL one
    let paid = payment::Entity::find_by_id(d.payment)
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo payment");
    payment::Entity::insert(payment::ActiveModel {
        amount: Set(paid.amount),
        payment_method: Set("Cash".into()),
        status: Set("completed".into()),
        paid_at: Set(Some(paid.created_at)),
        created_at: Set(paid.created_at),
        order_id: Set(paid.order_id),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();

    assert!(same_rows::<order::Entity>(&app).await >= 1);
    assert!(same_rows::<order_item::Entity>(&app).await >= 1);
    assert_eq!(same_rows::<payment::Entity>(&app).await, 2);
    assert!(same_rows::<product::Entity>(&app).await >= 1);
    assert!(same_rows::<stock::Entity>(&app).await >= 1);
    assert!(same_rows::<location::Entity>(&app).await >= 1);
    assert!(same_rows::<warehouse::Entity>(&app).await >= 1);
    assert!(same_rows::<category::Entity>(&app).await >= 1);
}
