//! Executing commands: load the aggregate, let it decide, append its changes with their
//! metadata (optimistic concurrency on the aggregate's sequence), then wake the subscribers.

use crate::db::{AppendPool, Database};
use crate::log::EventLog;
use convene_domain::Metadata;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework};
use postgres_es::PostgresEventRepository;
use sqlite_es::SqliteEventRepository;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The event log table (named so it is not mistaken for the read model of events).
pub const LOG_TABLE: &str = "event_log";
const SNAPSHOT_TABLE: &str = "snapshots";

/// How many times a command that lost a race on its aggregate is decided again.
pub const CONFLICT_RETRIES: usize = 3;

/// Why a command was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused it: a rule was broken.
    #[error("{0}")]
    Rejected(E),
    /// Another command changed the aggregate first; nothing of this one was written.
    #[error("the {0} was changed by someone else at the same time; try again")]
    Conflict(&'static str),
    #[error("the event store failed: {0}")]
    Store(String),
}

enum Framework<A: Aggregate> {
    Sqlite(CqrsFramework<A, PersistedEventStore<SqliteEventRepository, A>>),
    Postgres(CqrsFramework<A, PersistedEventStore<PostgresEventRepository, A>>),
}

/// The command side of one aggregate type.
pub struct Commands<A: Aggregate> {
    framework: Framework<A>,
    log: EventLog,
    /// One lock per aggregate in use: commands on one aggregate from this process run one at a
    /// time instead of racing and conflicting (200 people joining one event at once). Commands
    /// from other processes still meet the optimistic check.
    in_use: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl<A> Commands<A>
where
    A: Aggregate + 'static,
    A::Error: 'static,
{
    pub fn new(db: &Database, services: A::Services) -> Self {
        Self::build(db, services, None)
    }

    /// Like [`Commands::new`], keeping a snapshot of each aggregate every `every` changes, so
    /// that loading a long-lived aggregate (an event with thousands of participations) reads the
    /// snapshot and the few changes after it instead of its whole history.
    pub fn with_snapshots(db: &Database, services: A::Services, every: usize) -> Self {
        Self::build(db, services, Some(every))
    }

    fn build(db: &Database, services: A::Services, snapshots: Option<usize>) -> Self {
        fn store<R: cqrs_es::persist::PersistedEventRepository, A: Aggregate>(
            repository: R,
            snapshots: Option<usize>,
        ) -> PersistedEventStore<R, A> {
            match snapshots {
                Some(every) => PersistedEventStore::new_snapshot_store(repository, every),
                None => PersistedEventStore::new_event_store(repository),
            }
        }
        // No cqrs-es queries: projections follow the log with their own checkpoints instead.
        let framework = match db.append_pool() {
            AppendPool::Sqlite(pool) => Framework::Sqlite(CqrsFramework::new(
                store(
                    SqliteEventRepository::new(pool.clone()).with_tables(LOG_TABLE, SNAPSHOT_TABLE),
                    snapshots,
                ),
                vec![],
                services,
            )),
            AppendPool::Postgres(pool) => Framework::Postgres(CqrsFramework::new(
                store(
                    PostgresEventRepository::new(pool.clone())
                        .with_tables(LOG_TABLE, SNAPSHOT_TABLE),
                    snapshots,
                ),
                vec![],
                services,
            )),
        };
        Self {
            framework,
            log: EventLog::new(db),
            in_use: Mutex::default(),
        }
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = in_use.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        in_use.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        in_use.insert(id.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// Runs `command` on aggregate `id` once. Returns the aggregate's last position afterwards,
    /// which read-your-writes waits for.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<i64, CommandError<A::Error>> {
        let map = metadata.to_map();
        let lock = self.lock_for(id);
        let _turn = lock.lock().await;
        let outcome = match &self.framework {
            Framework::Sqlite(f) => f.execute_with_metadata(id, command, map).await,
            Framework::Postgres(f) => f.execute_with_metadata(id, command, map).await,
        };
        match outcome {
            Ok(()) => {}
            Err(AggregateError::UserError(e)) => return Err(CommandError::Rejected(e)),
            Err(AggregateError::AggregateConflict) => return Err(CommandError::Conflict(A::TYPE)),
            Err(other) => return Err(CommandError::Store(other.to_string())),
        }
        self.log.database().notify_appended();
        self.log
            .last_position_of(A::TYPE, id)
            .await
            .map_err(|e| CommandError::Store(e.to_string()))
    }

    /// Like [`Commands::execute`], deciding the command again on fresh state when another
    /// command won a race on the same aggregate, up to [`CONFLICT_RETRIES`] times.
    pub async fn execute_retrying(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<i64, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        let mut attempt = 0;
        loop {
            match self.execute(id, command.clone(), metadata).await {
                Err(CommandError::Conflict(_)) if attempt < CONFLICT_RETRIES => attempt += 1,
                outcome => return outcome,
            }
        }
    }
}
