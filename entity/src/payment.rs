//! `oms_payment`: a payment against an order; `status` holds the lowercase legacy values.

use sea_orm::entity::prelude::*;

use crate::Money;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oms_payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(select_as = "text")]
    pub amount: Money,
    pub payment_method: String,
    pub status: String,
    pub paid_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub order_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id"
    )]
    Order,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
