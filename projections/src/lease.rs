//! Leases: work that must run once per database (a projection, later the delivery worker) is
//! done only by the process holding its lease.
//!
//! On PostgreSQL a lease is a session advisory lock held on a connection of its own: it is
//! released when the holder lets go or its connection dies, so a standby process takes over.
//! SQLite has no such lock; there a lease is always granted and exactly-once rests on the
//! checkpoint fence of [`crate::projection`], which holds on both databases anyway.

use crate::db::{AppendPool, Database};
use crate::error::Error;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::Connection;

/// A held lease; dropping it releases it (the connection closes).
pub struct Lease {
    name: String,
    holder: Option<PgConnection>,
}

impl Lease {
    /// Takes the lease `name` if no one holds it.
    pub async fn try_acquire(db: &Database, name: &str) -> Result<Option<Lease>, Error> {
        let AppendPool::Postgres(pool) = db.append_pool() else {
            return Ok(Some(Lease {
                name: name.to_string(),
                holder: None,
            }));
        };
        let mut conn = pool.acquire().await?.detach();
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key(name))
            .fetch_one(&mut conn)
            .await?;
        if !taken {
            conn.close().await?;
            return Ok(None);
        }
        Ok(Some(Lease {
            name: name.to_string(),
            holder: Some(conn),
        }))
    }

    /// Whether the lease is still held (its connection still answers).
    pub async fn is_held(&mut self) -> bool {
        match &mut self.holder {
            Some(conn) => conn.ping().await.is_ok(),
            None => true,
        }
    }

    /// Lets go of the lease at once.
    pub async fn release(mut self) -> Result<(), Error> {
        if let Some(mut conn) = self.holder.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key(&self.name))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
        Ok(())
    }
}

/// The advisory lock key of a lease: 64 bits of a hash of its name.
fn key(name: &str) -> i64 {
    let digest = Sha256::digest(format!("convene-lease:{name}").as_bytes());
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
