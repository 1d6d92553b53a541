//! How a SQLite connection waits for the file's one write lock. SQLite's own busy timeout
//! sleeps 1, 2, 5, 10, 15… milliseconds between tries, which is right for processes that hold
//! the lock for long, and ruinous for one server whose many tasks each hold it for well under a
//! millisecond: under concurrent writes each waiter slept several milliseconds while the lock
//! sat free. Here a waiter tries again after a few tens of microseconds, backing off to a
//! millisecond, until the same timeout.
//!
//! Every connection the process opens gets the SQL function `convene_wait_briefly(ms)`
//! (registered through `sqlite3_auto_extension`); [`Database`](crate::Database) calls it as each
//! pooled connection is made, after sqlx has set its own busy timeout.

#![allow(unsafe_code)]

use libsqlite3_sys as ffi;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Once;
use std::time::Duration;

/// The statement that makes a connection wait briefly, for at most `timeout` in all.
pub(crate) fn statement(timeout: Duration) -> String {
    format!("SELECT convene_wait_briefly({})", timeout.as_millis())
}

/// Registers `convene_wait_briefly` on every SQLite connection opened from now on.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `register` has the entry point's signature; SQLite keeps the pointer, which is
        // to a function that lives as long as the process.
        let code = unsafe { ffi::sqlite3_auto_extension(Some(register)) };
        if code != ffi::SQLITE_OK {
            tracing::warn!(
                code,
                "cannot register convene_wait_briefly; SQLite's own waits apply"
            );
        }
    });
}

const NAME: &[u8] = b"convene_wait_briefly\0";

unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes a live handle while opening it; the name is static and
    // NUL-terminated; there is no user data.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            NAME.as_ptr().cast(),
            1,
            ffi::SQLITE_UTF8,
            std::ptr::null_mut(),
            Some(call),
            None,
            None,
            None,
        )
    }
}

/// `convene_wait_briefly(ms)`: replaces the connection's busy handler by [`busy`], with `ms`
/// as its timeout (carried in the handler's user-data pointer).
unsafe extern "C" fn call(
    ctx: *mut ffi::sqlite3_context,
    _argc: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes one valid argument (the function is registered with one) and the
    // context of the connection running the statement.
    unsafe {
        let ms = ffi::sqlite3_value_int64(*args).max(0) as usize;
        let db = ffi::sqlite3_context_db_handle(ctx);
        let code = ffi::sqlite3_busy_handler(db, Some(busy), ms as *mut c_void);
        if code != ffi::SQLITE_OK {
            ffi::sqlite3_result_error_code(ctx, code);
        }
    }
}

/// Microseconds slept before try `count` (0-based): 20 µs more each time, at most 1 ms.
fn pause_before(count: u64) -> u64 {
    (20 * (count + 1)).min(1_000)
}

/// Microseconds slept in all before try `count`.
fn waited_before(count: u64) -> u64 {
    // 20 + 40 + … + 1000 (the first 50 tries), then 1 ms each.
    let ramp = count.min(50);
    20 * ramp * (ramp + 1) / 2 + (count - ramp) * 1_000
}

/// SQLite's busy handler: sleep and try again (non-zero) until the timeout, then give up (0,
/// and the statement fails with SQLITE_BUSY as with SQLite's own handler).
unsafe extern "C" fn busy(timeout_ms: *mut c_void, count: c_int) -> c_int {
    let count = count.max(0) as u64;
    if waited_before(count) >= (timeout_ms as u64) * 1_000 {
        return 0;
    }
    std::thread::sleep(Duration::from_micros(pause_before(count)));
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_ramp_up_to_a_millisecond_and_add_up() {
        assert_eq!(pause_before(0), 20);
        assert_eq!(pause_before(49), 1_000);
        assert_eq!(pause_before(500), 1_000);
        let summed = |n: u64| (0..n).map(pause_before).sum::<u64>();
        for n in [0, 1, 10, 49, 50, 51, 200] {
            assert_eq!(waited_before(n), summed(n), "after {n} tries");
        }
    }

    #[test]
    fn gives_up_at_the_timeout() {
        // SAFETY: `busy` reads its user data as a number only.
        let tries = (0..)
            .take_while(
                |&n| unsafe { busy(std::ptr::null_mut::<c_void>().wrapping_add(30), n) } == 1,
            )
            .count();
        // 25.5 ms over the first 50 tries, then 1 ms each up to 30 ms.
        assert_eq!(tries, 55);
    }
}
