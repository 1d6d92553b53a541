//! Paged `OrderedCollection`s (outbox, followers, following), in Mobilizon's shape: the
//! collection names its total and its first page; `?page=N` gives `OrderedCollectionPage`s of
//! [`PAGE_SIZE`] items with `next`/`prev` and `partOf`.

use serde_json::{json, Value};

/// Items on one page, as Mobilizon pages them.
pub const PAGE_SIZE: u64 = 10;

/// The collection itself (no `?page`).
pub fn collection(id: &str, owner: &str, total: u64) -> Value {
    json!({
        "@context": crate::context::context(),
        "id": id,
        "type": "OrderedCollection",
        "attributedTo": owner,
        "totalItems": total,
        "first": format!("{id}?page=1"),
    })
}

/// Page `page` (from 1) of the collection, holding `items` (at most [`PAGE_SIZE`] of them,
/// newest first).
pub fn page(id: &str, owner: &str, total: u64, page: u64, items: Vec<Value>) -> Value {
    let mut document = json!({
        "@context": crate::context::context(),
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "attributedTo": owner,
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page * PAGE_SIZE < total {
        document["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        document["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    document
}

/// Reads `?page=`: none for the collection, a page number from 1, or the reason it is not one.
pub fn page_number(query: Option<&str>) -> Result<Option<u64>, String> {
    let Some(value) = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == "page").then_some(value)
        })
    else {
        return Ok(None);
    };
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(format!(
            "page `{value}` is not a page number: pages count from 1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_their_neighbours() {
        let p = page(
            "https://x.example/@a/outbox",
            "https://x.example/@a",
            25,
            2,
            vec![],
        );
        assert_eq!(p["next"], "https://x.example/@a/outbox?page=3");
        assert_eq!(p["prev"], "https://x.example/@a/outbox?page=1");
        assert_eq!(p["partOf"], "https://x.example/@a/outbox");
        let last = page(
            "https://x.example/@a/outbox",
            "https://x.example/@a",
            25,
            3,
            vec![],
        );
        assert!(last.get("next").is_none());
        let empty = page(
            "https://x.example/@a/outbox",
            "https://x.example/@a",
            0,
            1,
            vec![],
        );
        assert!(empty.get("next").is_none() && empty.get("prev").is_none());
    }

    #[test]
    fn page_numbers_count_from_one() {
        assert_eq!(page_number(None), Ok(None));
        assert_eq!(page_number(Some("other=1")), Ok(None));
        assert_eq!(page_number(Some("page=2")), Ok(Some(2)));
        assert!(page_number(Some("page=0")).is_err());
        assert!(page_number(Some("page=x")).is_err());
    }
}
