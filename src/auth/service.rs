//! The authentication use cases, shared by REST (`/api/accounts/token/...`), GraphQL (`login`,
//! `refreshToken`) and the command line: log in, rotate a refresh token, create a user.

use entity::positional::Cell;
use entity::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set,
};

use crate::auth::Access;
use crate::auth::blacklist::{self, Issued, Minted};
use crate::auth::password;
use crate::auth::token::{Claims, Subject, TokenType};
use crate::db::IdMap;
use crate::error::{AppError, AppResult, AuthError, FieldErrors, Problem, unique_violation_field};
use crate::state::AppState;

/// An access and a refresh token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenPair {
    pub refresh: String,
    pub access: String,
}

/// Checks the credentials (on the blocking pool) and mints a pair. Unknown users, wrong
/// passwords and inactive users all get the same answer, after the same work.
pub async fn login(state: &AppState, username: &str, password_text: &str) -> AppResult<TokenPair> {
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&state.db)
        .await?;
    let Some(found) = found else {
        let iterations = state.settings.password_iterations;
        let password_text = password_text.to_owned();
        let _ =
            tokio::task::spawn_blocking(move || password::burn(&password_text, iterations)).await;
        return Err(AppError::Unauthenticated(AuthError::BadCredentials));
    };
    let ok = password::verify_blocking(password_text.to_owned(), found.password.clone()).await;
    if !ok || !found.is_active {
        return Err(AppError::Unauthenticated(AuthError::BadCredentials));
    }
    let (pair, claims) = mint_pair(state, found.id, &found.username, &found.email);
    let store = state.blacklist.store(&state.db).await?;
    let issued = Issued {
        token: &pair.refresh,
        claims: &claims,
    };
    blacklist::record_issued(&state.db, store, found.id, issued).await?;
    Ok(pair)
}

/// SimpleJWT's refresh with rotation and blacklisting: the used refresh token is recorded (so
/// every replica, and the Django application where the blacklist is SimpleJWT's, refuses it
/// from now on) and a new pair is issued. See `auth::blacklist`.
pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<TokenPair> {
    let claims = state
        .tokens
        .verify(refresh_token, TokenType::Refresh)
        .map_err(|e| AppError::Unauthenticated(AuthError::InvalidRefreshToken(e)))?;
    if !claims.has_user_id() {
        return Err(AppError::Unauthenticated(AuthError::NoUserIdentification));
    }
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated(
        AuthError::NoActiveAccountForToken,
    ))?;
    let store = state.blacklist.store(&state.db).await?;
    let used = Issued {
        token: refresh_token,
        claims: &claims,
    };
    blacklist::rotate(&state.db, store, used, user_id, |principal| {
        let (pair, refresh_claims) =
            mint_pair(state, principal.id, &principal.username, &principal.email);
        Minted {
            refresh_token: pair.refresh.clone(),
            value: pair,
            refresh_claims,
        }
    })
    .await
}

/// Forgets blacklist entries whose tokens have expired anyway (see `blacklist::purge`).
pub async fn purge_blacklist(state: &AppState) -> AppResult<blacklist::Purged> {
    let store = state.blacklist.store(&state.db).await?;
    let purged = blacklist::purge(&state.db, store).await?;
    tracing::debug!(
        gateway_rows = purged.gateway,
        simplejwt_outstanding_rows = purged.outstanding,
        "expired refresh-token blacklist entries purged"
    );
    Ok(purged)
}

/// A new access and refresh token for that user, with the refresh token's claims.
fn mint_pair(state: &AppState, id: i64, username: &str, email: &str) -> (TokenPair, Claims) {
    let subject = Subject {
        id,
        username,
        email,
    };
    let (refresh, claims) = state.tokens.mint(TokenType::Refresh, &subject);
    let pair = TokenPair {
        refresh,
        access: state.tokens.mint(TokenType::Access, &subject).0,
    };
    (pair, claims)
}

/// Usernames by user id, in one statement (none for an empty list): how the REST face names
/// customers (`"customer": "user"`, `"order": "Order #1 - user"`).
pub async fn usernames_by_id<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<IdMap<String>> {
    if ids.is_empty() {
        return Ok(IdMap::default());
    }
    let rows: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Username])
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A user's email as the APIs show it: Django stores a missing one as `""`, shown as null.
pub fn shown_email(email: &str) -> Option<&str> {
    Some(email).filter(|e| !e.is_empty())
}

/// What the APIs show of a user (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub email: String,
    /// `is_staff` or `is_superuser`.
    pub is_staff: bool,
}

/// The columns a `UserSummary` is read from, in order.
pub const SUMMARY_COLUMNS: [user::Column; 5] = [
    user::Column::Id,
    user::Column::Username,
    user::Column::Email,
    user::Column::IsStaff,
    user::Column::IsSuperuser,
];

impl UserSummary {
    /// From the `SUMMARY_COLUMNS` of a row, starting at column `at`.
    pub fn from_columns(row: &sea_orm::QueryResult, at: usize) -> Result<Self, sea_orm::DbErr> {
        UserSummary::from_slots(row, &[at, at + 1, at + 2, at + 3, at + 4])
    }

    /// From the `SUMMARY_COLUMNS` of a row at the columns `slots`, in their order.
    pub fn from_slots(
        row: &sea_orm::QueryResult,
        slots: &[usize; SUMMARY_COLUMNS.len()],
    ) -> Result<Self, sea_orm::DbErr> {
        let (is_staff, is_superuser) = (bool::cell(row, slots[3])?, bool::cell(row, slots[4])?);
        Ok(UserSummary {
            id: Cell::cell(row, slots[0])?,
            username: Cell::cell(row, slots[1])?,
            email: Cell::cell(row, slots[2])?,
            is_staff: is_staff || is_superuser,
        })
    }
}

/// The users of `ids` that the caller may see (`ReadScope::allows_user`), in one statement
/// (none when they may see none of them): one they may not see is absent, as one that does not
/// exist (`node`/`nodes` of GraphQL).
pub async fn visible_users<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    ids: &[i64],
) -> AppResult<IdMap<UserSummary>> {
    let scope = access.read_scope()?;
    let allowed: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| scope.allows_user(*id))
        .collect();
    users_by_id(db, &allowed).await
}

/// Users by id, in one statement (none for an empty list).
pub async fn users_by_id<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<IdMap<UserSummary>> {
    if ids.is_empty() {
        return Ok(IdMap::default());
    }
    let select = user::Entity::find()
        .select_only()
        .columns(SUMMARY_COLUMNS)
        .filter(user::Column::Id.is_in(ids.iter().copied()));
    db.query_all_raw(select.build(db.get_database_backend()))
        .await?
        .iter()
        .map(|row| {
            let u = UserSummary::from_columns(row, 0)?;
            Ok((u.id, u))
        })
        .collect()
}

/// A new user for the command line and the demo data.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub email: Option<&'a str>,
    pub staff: bool,
}

/// Creates a user with a Django-format password hash; refuses a taken username or email.
pub async fn create_user(state: &AppState, new: NewUser<'_>) -> AppResult<user::Model> {
    let mut errors = FieldErrors::new();
    let username = new.username.trim();
    if username.is_empty() {
        errors.add_field("username", Problem::Blank);
    } else if username.chars().count() > 150 {
        errors.add_field("username", Problem::MaxLength(150));
    } else if !username
        .chars()
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        errors.add_field(
            "username",
            Problem::Rule(
                "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
                    .into(),
            ),
        );
    }
    if new.password.is_empty() {
        errors.add_field("password", Problem::Blank);
    }
    let email = match new.email.map(str::trim) {
        Some(e) if !e.is_empty() => e.to_owned(),
        _ => format!("{username}@localhost"),
    };
    if email.chars().count() > 254 || !email.contains('@') {
        errors.add_field(
            "email",
            Problem::Rule("Enter a valid email address.".into()),
        );
    }
    errors.into_result()?;
    let hash =
        password::make_blocking(new.password.to_owned(), state.settings.password_iterations).await;
    let now = crate::time::now();
    let model = user::ActiveModel {
        password: Set(hash),
        last_login: Set(None),
        is_superuser: Set(new.staff),
        username: Set(username.to_owned()),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        is_staff: Set(new.staff),
        is_active: Set(true),
        date_joined: Set(now),
        email: Set(email),
        phone: Set(None),
        date_of_birth: Set(None),
        ..Default::default()
    };
    model.insert(&state.db).await.map_err(|e| {
        match unique_violation_field(&e, &[("username", "username"), ("email", "email")]) {
            Some(field) => AppError::invalid(
                field,
                Problem::Unique {
                    model: "user",
                    field,
                },
            ),
            None => e.into(),
        }
    })
}
