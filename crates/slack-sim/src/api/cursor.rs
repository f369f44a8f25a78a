//! Opaque pagination cursors (`response_metadata.next_cursor`) that encode the offset of the next page.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::ApiError;
use crate::args::Args;

fn encode(offset: usize) -> String {
    STANDARD.encode(format!("offset:{offset}"))
}

/// Reads `cursor` and `limit` (default 100, 1..=1000) from the arguments.
pub fn page_request(args: &Args) -> Result<(usize, usize), ApiError> {
    let offset = match args.str("cursor") {
        None => 0,
        Some(cursor) => STANDARD
            .decode(&cursor)
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| s.strip_prefix("offset:")?.parse().ok())
            .ok_or_else(|| {
                ApiError::new("invalid_cursor").detail(format!("cursor {cursor:?} was not issued by this API"))
            })?,
    };
    let limit = match args.u64("limit") {
        None => 100,
        Some(Ok(limit @ 1..=1000)) => limit as usize,
        Some(_) => {
            return Err(ApiError::new("invalid_limit").detail("limit must be a number from 1 to 1000"));
        }
    };
    Ok((offset, limit))
}

/// One page of `items` and the cursor of the next page ("" at the end).
pub fn page<T: Clone>(items: &[T], offset: usize, limit: usize) -> (Vec<T>, String) {
    let page: Vec<T> = items.iter().skip(offset).take(limit).cloned().collect();
    let next = offset + page.len();
    let cursor = if next < items.len() {
        encode(next)
    } else {
        String::new()
    };
    (page, cursor)
}
