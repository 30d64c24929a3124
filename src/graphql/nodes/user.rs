//! `User`: a user as GraphQL shows it (never the password hash).

use async_graphql::{ComplexObject, ID, SimpleObject};

use crate::auth::Principal;
use crate::auth::service::{UserSummary, shown_email};
use crate::graphql::global_id::{self, NodeType};

/// A user as GraphQL shows it (never the password hash).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "User", serial, complex)]
pub struct UserObject {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub is_staff: bool,
}

#[ComplexObject]
impl UserObject {
    /// The global id (Relay): opaque, unique across types; `node(id:)` refetches the object.
    pub async fn node_id(&self) -> ID {
        global_id::encode(NodeType::User, self.id)
    }
}

impl From<UserSummary> for UserObject {
    fn from(u: UserSummary) -> Self {
        UserObject {
            id: u.id,
            email: shown_email(&u.email).map(str::to_owned),
            username: u.username,
            is_staff: u.is_staff,
        }
    }
}

impl From<&UserSummary> for UserObject {
    fn from(u: &UserSummary) -> Self {
        UserObject {
            id: u.id,
            username: u.username.clone(),
            email: shown_email(&u.email).map(str::to_owned),
            is_staff: u.is_staff,
        }
    }
}

impl From<&Principal> for UserObject {
    fn from(p: &Principal) -> Self {
        UserObject {
            id: p.id,
            username: p.username.clone(),
            email: shown_email(&p.email).map(str::to_owned),
            is_staff: p.is_staff,
        }
    }
}
