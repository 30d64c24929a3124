//! `accounts_user`: the legacy custom user model (Django `AbstractUser` plus phone and birth date).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Django's `pbkdf2_sha256$<iterations>$<salt>$<hash>`, or `!...` for an unusable password.
    pub password: String,
    pub last_login: Option<DateTimeUtc>,
    pub is_superuser: bool,
    #[sea_orm(unique)]
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
    pub is_active: bool,
    pub date_joined: DateTimeUtc,
    #[sea_orm(unique)]
    pub email: String,
    pub phone: Option<String>,
    pub date_of_birth: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::order::Entity")]
    Order,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
