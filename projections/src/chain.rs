//! The hash chain over the log. Each event's hash is
//! `sha256(previous hash ‖ field(position) ‖ field(aggregate type) ‖ field(aggregate id) ‖
//! field(sequence) ‖ field(event type) ‖ field(event version) ‖ field(payload) ‖ field(metadata))`
//! where `field(x)` is the decimal UTF-8 byte length of `x`, a colon, then `x`'s bytes, and the
//! hash before the first event is 32 zero bytes.
//!
//! The appending trigger computes it (PostgreSQL in SQL, SQLite through the function registered
//! here); [`link`] is the same computation for `convene verify`.

use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields of one event that its hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub position: i64,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
    pub event_version: &'a str,
    pub payload: &'a str,
    pub metadata: &'a str,
}

/// The hash of `event` following `previous`.
pub fn link(previous: &[u8], event: &Link<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    let mut field = |bytes: &[u8]| {
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(bytes);
    };
    field(event.position.to_string().as_bytes());
    field(event.aggregate_type.as_bytes());
    field(event.aggregate_id.as_bytes());
    field(event.sequence.to_string().as_bytes());
    field(event.event_type.as_bytes());
    field(event.event_version.as_bytes());
    field(event.payload.as_bytes());
    field(event.metadata.as_bytes());
    hasher.finalize().into()
}

pub(crate) use sqlite_function::register as register_sqlite_function;

/// `convene_chain(prev, position, aggregate_type, aggregate_id, sequence, event_type,
/// event_version, payload, metadata)` for SQLite's appending trigger. SQLite has no SHA-256 of
/// its own, and the trigger must compute the link inside the appending transaction.
#[allow(unsafe_code)]
mod sqlite_function {
    use super::{link, Link};
    use libsqlite3_sys as ffi;
    use std::ffi::c_int;

    const NAME: &[u8] = b"convene_chain\0";
    const ARGS: c_int = 9;

    /// Registers the function on one connection; returns SQLite's result code.
    pub fn register(db: *mut ffi::sqlite3) -> c_int {
        // SAFETY: `db` is a live connection handle lent by sqlx for the duration of this call;
        // the name is NUL-terminated and static; there is no user data to free.
        unsafe {
            ffi::sqlite3_create_function_v2(
                db,
                NAME.as_ptr().cast(),
                ARGS,
                ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
                std::ptr::null_mut(),
                Some(call),
                None,
                None,
                None,
            )
        }
    }

    /// Bytes of argument `i` (text or blob); SQLite keeps them valid until the next access to it.
    unsafe fn bytes<'a>(args: *mut *mut ffi::sqlite3_value, i: usize) -> &'a [u8] {
        let value = *args.add(i);
        let data = ffi::sqlite3_value_blob(value).cast::<u8>();
        let len = ffi::sqlite3_value_bytes(value);
        if data.is_null() || len <= 0 {
            return &[];
        }
        std::slice::from_raw_parts(data, len as usize)
    }

    unsafe fn text<'a>(args: *mut *mut ffi::sqlite3_value, i: usize) -> Option<&'a str> {
        let value = *args.add(i);
        let data = ffi::sqlite3_value_text(value);
        let len = ffi::sqlite3_value_bytes(value);
        if data.is_null() || len < 0 {
            return Some("");
        }
        std::str::from_utf8(std::slice::from_raw_parts(data, len as usize)).ok()
    }

    unsafe extern "C" fn call(
        ctx: *mut ffi::sqlite3_context,
        argc: c_int,
        args: *mut *mut ffi::sqlite3_value,
    ) {
        // SAFETY: SQLite passes `argc` valid values; we read each one once, as one type.
        unsafe {
            if argc != ARGS {
                ffi::sqlite3_result_error(ctx, c"convene_chain takes 9 arguments".as_ptr(), -1);
                return;
            }
            let previous = bytes(args, 0).to_vec();
            let position = ffi::sqlite3_value_int64(*args.add(1));
            let sequence = ffi::sqlite3_value_int64(*args.add(4));
            let texts: Option<Vec<&str>> =
                [2, 3, 5, 6, 7, 8].iter().map(|&i| text(args, i)).collect();
            let Some(t) = texts else {
                ffi::sqlite3_result_error(ctx, c"convene_chain: text is not UTF-8".as_ptr(), -1);
                return;
            };
            let hash = link(
                &previous,
                &Link {
                    position,
                    aggregate_type: t[0],
                    aggregate_id: t[1],
                    sequence,
                    event_type: t[2],
                    event_version: t[3],
                    payload: t[4],
                    metadata: t[5],
                },
            );
            ffi::sqlite3_result_blob(
                ctx,
                hash.as_ptr().cast(),
                hash.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Link<'static> {
        Link {
            position: 1,
            aggregate_type: "Profile",
            aggregate_id: "alice",
            sequence: 1,
            event_type: "ProfileCreated",
            event_version: "1",
            payload: r#"{"Created":{"username":"alice"}}"#,
            metadata: "{}",
        }
    }

    #[test]
    fn the_link_is_sha256_over_length_prefixed_fields() {
        let mut expected = Sha256::new();
        expected.update(GENESIS);
        expected.update(
            br#"1:17:Profile5:alice1:114:ProfileCreated1:132:{"Created":{"username":"alice"}}2:{}"#,
        );
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(link(&GENESIS, &sample()), expected);
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let a = sample();
        let b = Link {
            aggregate_type: "Profilea",
            aggregate_id: "lice",
            ..sample()
        };
        assert_ne!(link(&GENESIS, &a), link(&GENESIS, &b));
    }

    #[test]
    fn the_previous_hash_is_covered() {
        assert_ne!(link(&GENESIS, &sample()), link(&[1; 32], &sample()));
    }
}
