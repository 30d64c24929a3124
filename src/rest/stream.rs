//! An unpaged REST list as the documented bare JSON array, written while its rows are read:
//! chunk by chunk (`CHUNK` rows newest first, each next chunk below the last id of the one
//! before), each chunk rendered and sent as one piece of the body, so that memory holds one
//! chunk whatever the size of the table, and the first bytes leave once the first chunk is read.
//!
//! The first chunk is read before the status line, so that a bad filter, a missing permission
//! or an unavailable database still answers with its own status. Each later chunk takes a pool
//! connection of its own and gives it back before its bytes are sent: a slow reader holds no
//! connection and no snapshot, and each chunk sees the database as it is when it is read (an
//! order is listed at most once, by the unique id; orders placed after the first chunk are not
//! listed; one deleted before its chunk is read is left out).
//!
//! If a later chunk fails, the status line has gone: the connection is cut before the closing
//! `]` (the chunked body never completes), so a client never takes a truncated list for a
//! whole one; the error is logged.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::stream;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Rows per chunk: about 70 KB of JSON for orders with their items and payments. The gateway's
/// memory follows the chunk (its rows, their relations, its JSON), not the list: 500 took it to
/// 69 MiB on 20,000 orders, 200 to 50-60 MiB on a million; 100 leaves room under 64 MiB
/// (BENCHMARKS.md) for two statements more per 100 rows.
pub const CHUNK: u64 = 100;

/// The bytes reserved for a later chunk's JSON at once, instead of doubling up to it.
const BUFFER: usize = 128 * 1024;

/// One chunk of a list: its rows rendered, and the id to read the next chunk below (`None`
/// after the last chunk, one shorter than `CHUNK`).
pub struct Chunk<T> {
    pub shown: Vec<T>,
    pub next_below: Option<i64>,
}

impl<T> Chunk<T> {
    /// `shown`, one per row read (`CHUNK` asked), the last row's id `last_id`.
    pub fn of(shown: Vec<T>, last_id: Option<i64>) -> Chunk<T> {
        let full = shown.len() as u64 >= CHUNK;
        Chunk {
            shown,
            next_below: last_id.filter(|_| full),
        }
    }
}

/// Writes `shown` as elements of the array: a comma before each but the list's very first.
fn elements<T: Serialize>(out: &mut Vec<u8>, shown: &[T], first: bool) -> AppResult<()> {
    for (i, item) in shown.iter().enumerate() {
        if i > 0 || !first {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, item).map_err(AppError::internal)?;
    }
    Ok(())
}

/// The 200 answer: the first chunk, then each chunk `next(below)` reads, as one JSON array
/// (byte for byte what serializing the whole list at once writes).
pub fn json_array<T, F, Fut>(first: Chunk<T>, mut next: F) -> AppResult<Response>
where
    T: Serialize + Send + 'static,
    F: FnMut(i64) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<Chunk<T>>> + Send + 'static,
{
    let mut head = b"[".to_vec();
    elements(&mut head, &first.shown, true)?;
    if first.next_below.is_none() {
        // the whole list in one chunk (most lists): a plain body with its Content-Length, sent
        // with the status line, instead of chunked framing and a closing empty chunk
        head.push(b']');
        return Ok(json_response(Body::from(head)));
    }
    let rest = stream::try_unfold(first.next_below, move |below| {
        let read = below.map(&mut next);
        async move {
            let Some(read) = read else {
                return Ok(None);
            };
            let chunk = read.await.map_err(cut)?;
            let mut out = Vec::with_capacity(BUFFER);
            elements(&mut out, &chunk.shown, false).map_err(cut)?;
            if chunk.next_below.is_none() {
                out.push(b']');
            }
            Ok::<_, std::io::Error>(Some((Bytes::from(out), chunk.next_below)))
        }
    });
    let body = stream::once(async move { Ok(Bytes::from(head)) });
    Ok(json_response(Body::from_stream(
        futures_util::StreamExt::chain(body, rest),
    )))
}

fn json_response(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A chunk that failed after the status line: logged, and the body aborted (the connection
/// is cut before the array closes).
fn cut(e: AppError) -> std::io::Error {
    tracing::error!(error = ?e, "a streamed list failed after its first chunk; cutting the connection");
    std::io::Error::other("the streamed list could not be completed")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Result<Vec<u8>, String> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string())
    }

    fn chunk(ids: std::ops::Range<i64>) -> Chunk<serde_json::Value> {
        let shown: Vec<_> = ids
            .clone()
            .rev()
            .map(|i| serde_json::json!({"id": i}))
            .collect();
        Chunk::of(shown, ids.clone().next())
    }

    #[tokio::test]
    async fn chunks_make_the_array_serde_would_write() {
        let full = CHUNK as i64;
        let first = chunk(2 * full + 3..3 * full + 3);
        let response = json_array(first, move |below| async move {
            Ok(chunk((below - full).max(0)..below))
        })
        .unwrap();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let whole: Vec<_> = (0..3 * full + 3)
            .rev()
            .map(|i| serde_json::json!({"id": i}))
            .collect();
        assert_eq!(
            body_of(response).await.unwrap(),
            serde_json::to_vec(&whole).unwrap()
        );
        let empty = json_array(Chunk::<u8>::of(vec![], None), |_| async {
            Err(AppError::Unavailable)
        });
        assert_eq!(body_of(empty.unwrap()).await.unwrap(), b"[]");
    }

    #[tokio::test]
    async fn a_list_of_one_chunk_has_its_length_and_a_longer_one_is_chunked() {
        use axum::body::HttpBody;
        let short = json_array(chunk(0..3), |_| async { Err(AppError::Unavailable) }).unwrap();
        let expected = br#"[{"id":2},{"id":1},{"id":0}]"#;
        assert_eq!(
            short.body().size_hint().exact(),
            Some(expected.len() as u64)
        );
        assert_eq!(body_of(short).await.unwrap(), expected);
        let full = CHUNK as i64;
        let long = json_array(chunk(full..2 * full), move |_| async move {
            Ok(chunk(0..full - 1))
        })
        .unwrap();
        assert_eq!(long.body().size_hint().exact(), None);
        let body = body_of(long).await.unwrap();
        let ids: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(ids.len() as i64, 2 * full - 1);
    }

    #[tokio::test]
    async fn a_failed_chunk_aborts_the_body_before_the_array_closes() {
        let first = chunk(CHUNK as i64..2 * CHUNK as i64);
        let response = json_array(first, |_| async { Err(AppError::Unavailable) }).unwrap();
        assert!(body_of(response).await.is_err());
    }
}
