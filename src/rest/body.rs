//! Request bodies as DRF's parsers read them: JSON (any `application/json` or `+json` type) and
//! HTML form data; an empty body is an empty object; any other media type is 415; malformed
//! JSON is 400 `JSON parse error - ...`; an oversized body is 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use crate::error::AppError;

/// The parsed body of a REST write.
#[derive(Debug, Clone)]
pub struct DrfBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for DrfBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The request body could not be read.".to_owned())
            }
        })?;
        parse(content_type.as_deref(), &bytes).map(DrfBody)
    }
}

/// Parses `bytes` according to the media type.
pub fn parse(content_type: Option<&str>, bytes: &[u8]) -> Result<Value, AppError> {
    let media = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    if media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"))
    {
        return serde_json::from_slice(bytes)
            .map_err(|e| AppError::BadRequest(format!("JSON parse error - {}", describe(&e))));
    }
    if media == "application/x-www-form-urlencoded" {
        let mut map = Map::new();
        for (k, v) in url::form_urlencoded::parse(bytes) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        return Ok(Value::Object(map));
    }
    Err(AppError::UnsupportedMediaType(
        content_type
            .map(|ct| ct.trim().to_owned())
            .unwrap_or_default(),
    ))
}

fn describe(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "unexpected end of input",
        serde_json::error::Category::Syntax => "invalid syntax",
        serde_json::error::Category::Data => "invalid data",
        serde_json::error::Category::Io => "unreadable input",
    };
    format!("{what}: line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(
            parse(Some("application/json; charset=utf-8"), b"{\"a\":1}").unwrap()["a"],
            1
        );
        assert_eq!(parse(None, b"").unwrap(), Value::Object(Map::new()));
        assert!(matches!(
            parse(Some("text/plain"), b"hi"),
            Err(AppError::UnsupportedMediaType(m)) if m == "text/plain"
        ));
        assert!(
            matches!(parse(Some("application/json"), b"{bad"), Err(AppError::BadRequest(d)) if d.starts_with("JSON parse error - "))
        );
        assert_eq!(
            parse(
                Some("application/x-www-form-urlencoded"),
                b"username=a&password=b"
            )
            .unwrap()["password"],
            "b"
        );
    }
}
