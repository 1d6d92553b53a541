//! `convene reindex`: the search index rebuilt from the log into shadow tables, swapped in when
//! complete; a running server answers from the old index until then.

use crate::config::Settings;
use convene_projections::Database;
use convene_search::{Embedded, SearchIndex};
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;
use std::time::Instant;

pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = Database::open(&settings.database_url).await?;
    let live = Embedded::new(db.pool(), db.backend());
    let bar = ProgressBar::new(0).with_prefix("search");
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} events, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut progress = |at: i64, head: i64| {
        bar.set_length(head.max(0) as u64);
        bar.set_position(at.max(0) as u64);
    };
    let (position, backend) = match crate::subscribers::meili()? {
        Some(meili) => (
            convene_search::reindex::reindex_meili(&db, &meili, &mut progress).await?,
            "meilisearch",
        ),
        None => (
            convene_search::reindex::reindex(&db, &live, &mut progress).await?,
            live.backend(),
        ),
    };
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "reindexed {position} events into the {} search index in {seconds:.2} s ({:.0} events/s); it now answers searches",
        backend,
        position as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
