//! `convene migrate`, `replay` and `verify`: maintenance with progress bars and a final line of
//! figures.

use crate::config::{ReplayArgs, Settings};
use convene_projections::log::EventLog;
use convene_projections::replay::{self, AsOf};
use convene_projections::{verify as chain, Database, Subscribers};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = Database::open_within(&settings.database_url, settings.database_timeout).await?;
    println!("the schema of {} is up to date", db.display_url());
    Ok(ExitCode::SUCCESS)
}

pub async fn replay(settings: &Settings, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let projections = chosen_projections(&settings.public_url, args.projection.as_deref())?;
    // Refuse a bad --into before connecting, so nothing at all is written.
    if let Some(into) = &args.into {
        replay::check_new_file(into)?;
    }
    // As of a past point the live log is only read; in place, the read models are rebuilt.
    let db = if args.as_of.is_some() {
        Database::open_existing(&settings.database_url, settings.database_timeout).await?
    } else {
        Database::open_within(&settings.database_url, settings.database_timeout).await?
    };
    let started = Instant::now();
    let mut bars = Bars::default();
    let (events, what) = match (args.as_of, args.into) {
        (Some(as_of), Some(into)) => {
            let position = replay::resolve(&EventLog::new(&db), as_of).await?;
            replay::rebuild_as_of(
                &db,
                position,
                &into,
                &projections,
                &mut |name, at, total| bars.show(name, at, total),
            )
            .await?;
            let point = match as_of {
                AsOf::Position(_) => format!("position {position}"),
                AsOf::Time(_) => format!("position {position} (the last at that time)"),
            };
            (position, format!("as of {point} into {}", into.display()))
        }
        _ => {
            let head = replay::rebuild(&db, &projections, &mut |name, at, total| {
                bars.show(name, at, total)
            })
            .await?;
            (head, "in place".to_string())
        }
    };
    bars.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "replayed {events} events into {} projection(s) {what} in {seconds:.2} s ({:.0} events/s per projection)",
        projections.len(),
        events as f64 * projections.len() as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn verify(settings: &Settings) -> anyhow::Result<ExitCode> {
    // Only reads: a mistyped path must not leave an empty database behind, nor pass as intact.
    let db = Database::open_existing(&settings.database_url, settings.database_timeout).await?;
    let started = Instant::now();
    let mut bars = Bars::default();
    let report = chain::verify(&EventLog::new(&db), &mut |checked, total| {
        bars.show("verify", checked, total)
    })
    .await?;
    bars.finish();
    let seconds = started.elapsed().as_secs_f64();
    let rate = report.checked as f64 / seconds.max(1e-9);
    match report.broken {
        None => {
            println!(
                "verified {} events in {seconds:.2} s ({rate:.0} events/s): the log is intact",
                report.checked
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            eprintln!(
                "error: the log is broken at position {}: {} ({} events before it verified, {rate:.0} events/s); restore the database from a backup or investigate who wrote to it",
                broken.position, broken.reason, report.checked
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Every subscriber, or the one named.
fn chosen_projections(public_url: &str, name: Option<&str>) -> anyhow::Result<Subscribers> {
    let all = crate::subscribers::all(public_url);
    match name {
        None => Ok(all),
        Some(name) => Ok(Subscribers::new([all.named(name)?])),
    }
}

/// One progress bar per task, drawn on stderr (hidden when it is not a terminal).
#[derive(Default)]
struct Bars {
    bars: HashMap<String, ProgressBar>,
}

impl Bars {
    fn show(&mut self, name: &str, done: i64, total: i64) {
        let bar = self.bars.entry(name.to_string()).or_insert_with(|| {
            let bar = ProgressBar::new(0).with_prefix(name.to_string());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {pos}/{len} events, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        bar.set_length(total.max(0) as u64);
        bar.set_position(done.max(0) as u64);
    }

    fn finish(self) {
        for bar in self.bars.into_values() {
            bar.finish_and_clear();
        }
    }
}
