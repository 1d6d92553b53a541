//! `/calendar`: a month of public events as a grid of weeks, Monday first, each event on the
//! day it begins in its own time zone. Works without JavaScript; prev/next are links.

use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use convene_api::events;
use convene_domain::metadata::format_timestamp;
use convene_projections::events::EventFilter;
use serde::{Deserialize, Serialize};
use tera::Context;

/// The most events a month shows: beyond, the list and search pages are the way.
const MONTH_EVENTS_MAX: i64 = 1_000;
/// Zones run from UTC−12 to UTC+14: the month is read that much wider, then cut to local days.
const ZONE_MARGIN_HOURS: i64 = 14;

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    /// yyyy-mm
    pub month: Option<String>,
}

#[derive(Serialize)]
struct Entry {
    id: String,
    title: String,
    time: String,
    cancelled: bool,
}

#[derive(Serialize, Default)]
struct Day {
    /// 0 for the days of the weeks' ends outside the month.
    day: u32,
    date: String,
    events: Vec<Entry>,
}

/// The first day of month `text` (`2026-12`), if it is one.
fn month_of(text: &str) -> Option<NaiveDate> {
    let (year, month) = text.trim().split_once('-')?;
    let (year, month) = (year.parse::<i32>().ok()?, month.parse::<u32>().ok()?);
    (1900..=9999)
        .contains(&year)
        .then(|| NaiveDate::from_ymd_opt(year, month, 1))
        .flatten()
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first)
}

fn utc_timestamp(date: NaiveDate, hours: i64) -> String {
    let at = date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::hours(hours);
    let at = time::OffsetDateTime::from_unix_timestamp(at.and_utc().timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format_timestamp(at)
}

/// The weeks (Monday to Sunday) covering the month starting on `first`.
fn weeks(first: NaiveDate) -> Vec<Vec<Day>> {
    let last = next_month(first).pred_opt().unwrap_or(first);
    let lead = first.weekday().num_days_from_monday();
    let mut days: Vec<Day> = (0..lead).map(|_| Day::default()).collect();
    days.extend(first.iter_days().take_while(|d| *d <= last).map(|d| Day {
        day: d.day(),
        date: d.format("%Y-%m-%d").to_string(),
        events: Vec::new(),
    }));
    while !days.len().is_multiple_of(7) {
        days.push(Day::default());
    }
    let mut weeks = Vec::new();
    let mut days = days.into_iter().peekable();
    while days.peek().is_some() {
        weeks.push(days.by_ref().take(7).collect());
    }
    weeks
}

pub async fn month(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<CalendarQuery>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let today = Utc::now().date_naive();
    let first = match query.month.as_deref().filter(|m| !m.is_empty()) {
        None => today.with_day(1).unwrap_or(today),
        Some(text) => match month_of(text) {
            Some(first) => first,
            None => {
                let mut page = web.pages.message(
                    &visitor,
                    &catalogue.text("calendar_title"),
                    &catalogue.fill("calendar_bad_month", &[("month", text)]),
                );
                *page.status_mut() = StatusCode::BAD_REQUEST;
                return page;
            }
        },
    };
    let after = next_month(first);
    let filter = EventFilter {
        from: Some(utc_timestamp(first, -ZONE_MARGIN_HOURS)),
        to: Some(utc_timestamp(after, ZONE_MARGIN_HOURS)),
        limit: MONTH_EVENTS_MAX,
        ..EventFilter::default()
    };
    let found = match events::upcoming(&web.app, &filter).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut weeks = weeks(first);
    for event in found {
        let details = &event.details;
        let begins = crate::view::local(details.begins_at, &details.time_zone);
        let date = begins.date_naive().format("%Y-%m-%d").to_string();
        let Some(day) = weeks.iter_mut().flatten().find(|d| d.date == date) else {
            continue;
        };
        day.events.push(Entry {
            id: event.id.clone(),
            title: details.title.clone(),
            time: catalogue.time(&begins),
            cancelled: details.status == convene_domain::event::details::EventStatus::Cancelled,
        });
    }
    let title = format!("{} {}", catalogue.month_name(first.month0()), first.year());
    let month_link = |d: NaiveDate| d.format("%Y-%m").to_string();
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let mut context = Context::new();
    context.insert("title", &title);
    context.insert("weeks", &weeks);
    context.insert(
        "weekdays",
        &(0..7)
            .map(|d| catalogue.weekday_name(d))
            .collect::<Vec<_>>(),
    );
    context.insert("previous", &month_link(previous));
    context.insert("next", &month_link(after));
    web.pages
        .render(&visitor, StatusCode::OK, "calendar.html", context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_strictly() {
        assert_eq!(month_of("2026-12"), NaiveDate::from_ymd_opt(2026, 12, 1));
        for bad in [
            "2026-13", "2026", "december", "2026-00", "10000-01", "2026-1-1",
        ] {
            assert_eq!(month_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_cover_the_month() {
        // March 2026 begins on a Sunday and has 31 days: six weeks.
        let weeks = weeks(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default());
        assert_eq!(weeks.len(), 6);
        assert_eq!(weeks[0][6].day, 1);
        assert_eq!(weeks[0][5].day, 0);
        assert_eq!(weeks[5][1].day, 31);
        assert!(weeks.iter().all(|w| w.len() == 7));
    }
}
