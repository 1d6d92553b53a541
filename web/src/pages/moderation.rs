//! Reports from the pages: the "Report" form reached from events, comments, profiles, groups
//! and the other instances' actors the pages show (a remote organiser, a remote comment's
//! author, a remote group member), and the moderators' queue and report page (take, note,
//! resolve, close, and decide on the reported content: hide, remove, close comments, and undo
//! them; suspend here another instance's actor, reported itself or for its content, shown as
//! this instance knew it when it was reported). Moderation pages answer everyone else with a
//! 403 page naming the role they need.

use super::accounts::{form_with, Filled};
use super::{check_csrf, field, forbidden, login_first, posting_session, Fields};
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::audit::{self, AuditQuery};
use convene_api::moderation::{self, Action, DecisionMade, DecisionTarget, NewDecision};
use convene_api::reports::{self, Decision, NewNote, NewReport, QueueQuery, Reporter};
use convene_api::revert::{self, RevertPlan, RevertRequest};
use convene_api::Class;
use convene_domain::report::{Category, Target};
use convene_domain::{FieldError, Role};
use std::collections::HashMap;
use tera::Context;

/// What a report is about, from the query of the link that opened the form (and then from the
/// form's hidden fields): `event`, `event` and `comment`, `profile`, `group`, or `actor` (another
/// instance's actor, by its URL).
fn target(values: &HashMap<String, String>) -> Option<Target> {
    let get = |k: &str| Some(field(values, k)).filter(|v| !v.is_empty());
    match (
        get("event"),
        get("comment_id"),
        get("profile"),
        get("group"),
        get("actor"),
    ) {
        (Some(event), Some(comment), None, None, None) => Some(Target::Comments {
            event,
            comments: vec![comment],
        }),
        (Some(id), None, None, None, None) => Some(Target::Event { id }),
        (None, None, Some(username), None, None) => Some(Target::Profile { username }),
        (None, None, None, Some(handle), None) => Some(Target::Group { handle }),
        (None, None, None, None, Some(url)) => Some(Target::RemoteActor { url }),
        _ => None,
    }
}

/// A comment's "report its author" link (`event` and `author_of`) names the comment: the form
/// reports its author, another instance's actor, by URL.
async fn author_of_comment(
    web: &Web,
    visitor: &Visitor,
    values: &mut HashMap<String, String>,
) -> Result<(), Response> {
    let Some(comment) = values.remove("author_of").filter(|c| !c.is_empty()) else {
        return Ok(());
    };
    let event = values.remove("event").unwrap_or_default();
    let session = visitor.session.as_ref();
    match reports::remote_author(&web.app, session, &event, &comment).await {
        Ok(Some(actor)) => {
            values.insert("actor".into(), actor);
            Ok(())
        }
        // Written here: its author's profile page has its own link.
        Ok(None) => Err(web.pages.error(visitor, StatusCode::NOT_FOUND)),
        Err(error) => Err(web.pages.failure(visitor, &error)),
    }
}

fn category(values: &HashMap<String, String>) -> Result<Category, FieldError> {
    match field(values, "category").as_str() {
        "spam" => Ok(Category::Spam),
        "illegal" => Ok(Category::Illegal),
        "other" => Ok(Category::Other),
        // The instance's rules as checkboxes (`rule_ID`), or ids typed in when it has none.
        "rule_violation" => {
            let mut checked: Vec<String> = values
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("rule_").filter(|_| !v.is_empty()))
                .map(str::to_string)
                .collect();
            checked.sort_by_key(|id| id.parse::<u32>().unwrap_or(u32::MAX));
            let typed = field(values, "rules");
            checked.extend(
                typed
                    .split(',')
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty()),
            );
            Ok(Category::RuleViolation { rules: checked })
        }
        _ => Err(FieldError {
            field: "category".into(),
            message: "choose a category".into(),
        }),
    }
}

/// GET `/report?event=…[&comment_id=…]|event=…&author_of=…|profile=…|group=…|actor=…`: the
/// form.
pub async fn report_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(mut values): Query<HashMap<String, String>>,
) -> Response {
    if target(&values).is_none() {
        return web.pages.error(&visitor, StatusCode::NOT_FOUND);
    }
    if visitor.session.is_none() && !web.app.reports_policy.anonymous {
        return login_first(&visitor);
    }
    if let Err(response) = author_of_comment(&web, &visitor, &mut values).await {
        return response;
    }
    filing_page(&web, &visitor, StatusCode::OK, &values, &[]).await
}

/// The report form, offering the instance's rules to tick.
async fn filing_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let rules = match convene_api::instance::settings(&web.app).await {
        Ok(settings) => settings.rules,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    // Another instance's event, comments or actor: the report may go to its moderators too.
    let reported = target(values);
    let reported_instance = match &reported {
        Some(target) => match reports::reported_instance(&web.app, target).await {
            Ok(instance) => instance,
            Err(error) => return web.pages.failure(visitor, &error),
        },
        None => None,
    };
    // Another instance's actor: who it is, as this instance knows it.
    let reported_actor = match &reported {
        Some(Target::RemoteActor { url }) => match reports::known_actor(&web.app, url).await {
            Ok(actor) => Some(actor),
            // Not known here, or this instance's: the page says why, as the API would.
            Err(error) => return web.pages.failure(visitor, &error),
        },
        _ => None,
    };
    let mut context = Context::new();
    context.insert("instance_rules", &rules);
    context.insert("reported_instance", &reported_instance);
    context.insert("reported_actor", &reported_actor);
    let filled = Filled {
        status,
        values,
        errors,
        notice: None,
    };
    form_with(web, visitor, "report.html", filled, context)
}

/// POST `/report`: files the report as the visitor's default profile (or anonymously, when the
/// instance allows it), or shows the form again with its values and the field at fault.
pub async fn report(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let Some(target) = target(&values) else {
        return web.pages.error(&visitor, StatusCode::NOT_FOUND);
    };
    let category = match category(&values) {
        Ok(category) => category,
        Err(error) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return filing_page(&web, &visitor, status, &values, &[error]).await;
        }
    };
    let reporter = match visitor.session.clone() {
        Some(session) => match session.acting_as(&web.app, None).await {
            Ok(acting) => Reporter::Profile(Box::new(acting)),
            Err(error) => return web.pages.failure(&visitor, &error),
        },
        None if web.app.reports_policy.anonymous => Reporter::Anonymous(visitor.origin.clone()),
        None => return login_first(&visitor),
    };
    let new = NewReport {
        target,
        category,
        comment: values.get("comment").cloned().unwrap_or_default(),
        forward: field(&values, "forward") == "on",
    };
    match reports::file(&web.app, reporter, new).await {
        Ok(_) => {
            let catalogue = web.pages.catalogue(&visitor);
            web.pages.message(
                &visitor,
                &catalogue.text("report_sent_title"),
                &catalogue.text("report_sent"),
            )
        }
        Err(error) if error.class() == Class::Invalid => {
            let errors = error.field_errors();
            filing_page(&web, &visitor, status_of(&error), &values, &errors).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// A decision from the report page's form: `action`, `target` (`event` or `comment:ID` on the
/// form's `event`, `profile` for the form's `profile`, `group` for the form's `group`, or
/// `actor:URL` for another instance's actor, reported or whose content is reported), `reason`,
/// and an
/// optional end `until` (a date and time in UTC, as a `datetime-local` field sends it, or with
/// its offset).
fn decision(
    report: &str,
    values: &HashMap<String, String>,
) -> Result<NewDecision, convene_api::Error> {
    let action = Action::parse(&field(values, "action"))
        .ok_or_else(|| convene_api::Error::invalid_field("action", "choose a decision"))?;
    let event = field(values, "event");
    let target = match field(values, "target").split_once(':') {
        Some(("comment", id)) => DecisionTarget::Comment {
            event,
            id: id.to_string(),
        },
        Some(("actor", actor)) => DecisionTarget::RemoteActor {
            actor: actor.to_string(),
        },
        _ if field(values, "target") == "profile" => DecisionTarget::Profile {
            username: field(values, "profile"),
        },
        _ if field(values, "target") == "group" => DecisionTarget::Group {
            handle: field(values, "group"),
        },
        _ => DecisionTarget::Event { id: event },
    };
    Ok(NewDecision {
        action,
        target,
        reason: field(values, "reason"),
        report: Some(report.to_string()),
        until: datetime_local(&field(values, "until")),
        public_comment: Some(field(values, "public_comment")).filter(|c| !c.trim().is_empty()),
    })
}

/// An end as a `datetime-local` field sends it (read as UTC), or with its offset; none when
/// blank.
fn datetime_local(text: &str) -> Option<String> {
    let text = text.trim();
    match text.len() {
        0 => None,
        // 2026-06-01T12:00 and 2026-06-01T12:00:30.
        16 => Some(format!("{text}:00Z")),
        19 => Some(format!("{text}Z")),
        _ => Some(text.to_string()),
    }
}

/// A refusal's messages by form field; one without fields is the whole form's (`form`).
fn form_errors(failed: Option<&convene_api::Error>) -> HashMap<String, String> {
    let Some(error) = failed else {
        return HashMap::new();
    };
    let fields = error.field_errors();
    if fields.is_empty() {
        return HashMap::from([("form".to_string(), error.to_string())]);
    }
    fields.into_iter().map(|f| (f.field, f.message)).collect()
}

/// GET `/moderation/reports?state=…&category=…&instance=…`: the queue.
pub async fn queue(
    State(web): State<Web>,
    visitor: Visitor,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    let query = QueueQuery {
        state: values.get("state").cloned(),
        category: values.get("category").cloned(),
        instance: values.get("instance").cloned(),
        page: field(&values, "page").parse().ok(),
    };
    match reports::queue(&web.app, session, query).await {
        Ok(rows) => {
            let mut context = Context::new();
            context.insert("reports", &rows);
            context.insert("values", &values);
            web.pages
                .render(&visitor, StatusCode::OK, "moderation_queue.html", context)
        }
        Err(error) => forbidden(&web, &visitor, &error, "moderators_only"),
    }
}

/// The report page, with the values and errors of a form that failed on it.
async fn report_page(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    values: &HashMap<String, String>,
    failed: Option<&convene_api::Error>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(visitor);
    };
    match reports::detail(&web.app, session, id).await {
        Ok(detail) => {
            let errors: HashMap<String, String> = failed
                .map(|e| e.field_errors())
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect();
            let notice = failed
                .filter(|e| e.field_errors().is_empty())
                .map(|e| e.detail());
            let status = failed.map_or(StatusCode::OK, status_of);
            let evidence = serde_json::to_string_pretty(&detail.evidence.state).unwrap_or_default();
            let mut context = Context::new();
            context.insert("detail", &detail);
            context.insert("evidence", &evidence);
            context.insert("values", values);
            context.insert("errors", &errors);
            context.insert("notice", &notice);
            web.pages
                .render(visitor, status, "moderation_report.html", context)
        }
        Err(error) => forbidden(web, visitor, &error, "moderators_only"),
    }
}

/// GET `/moderation/reports/{id}`.
pub async fn show(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    report_page(&web, &visitor, &id, &HashMap::new(), None).await
}

/// POST `/moderation/reports/{id}/{action}`: assign, note, resolve, close, or decide on the
/// reported event or comments.
pub async fn act(
    State(web): State<Web>,
    visitor: Visitor,
    Path((id, action)): Path<(String, String)>,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let text = |k: &str| values.get(k).cloned().unwrap_or_default();
    let done = match action.as_str() {
        "assign" => reports::assign(&web.app, session, &id).await.map(drop),
        "note" => reports::add_note(&web.app, session, &id, NewNote { body: text("body") })
            .await
            .map(drop),
        "resolve" | "close" => {
            let decision = Decision {
                reason: text("reason"),
            };
            reports::handle(&web.app, session, &id, decision, action == "resolve")
                .await
                .map(drop)
        }
        "decide" => match decision(&id, &values) {
            Ok(new) => moderation::decide(&web.app, session, new).await.map(drop),
            Err(error) => Err(error),
        },
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match done {
        Ok(_) => see_other(&visitor, &format!("/moderation/reports/{id}")),
        Err(error) if matches!(error.class(), Class::Invalid | Class::Conflict) => {
            report_page(&web, &visitor, &id, &values, Some(&error)).await
        }
        Err(error) => forbidden(&web, &visitor, &error, "moderators_only"),
    }
}

/// GET `/moderation/audit?account=…&target_kind=…&target_id=…&change=…&from=…&to=…&page=…`: the
/// audit trail, with its filters; a filter at fault is marked on the form.
pub async fn audit(
    State(web): State<Web>,
    visitor: Visitor,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    let get = |k: &str| values.get(k).cloned();
    let page = field(&values, "page");
    let query = AuditQuery {
        account: get("account"),
        profile: get("profile"),
        source: get("source"),
        request_id: get("request_id"),
        target_kind: get("target_kind"),
        target_id: get("target_id"),
        change: get("change"),
        from: get("from"),
        to: get("to"),
        page: if page.trim().is_empty() {
            None
        } else {
            Some(page.trim().parse().unwrap_or(0))
        },
    };
    let mut context = Context::new();
    context.insert("values", &values);
    let (status, trail, errors) = match audit::trail(&web.app, session, query).await {
        Ok(trail) => (StatusCode::OK, Some(trail), HashMap::new()),
        Err(error) if error.class() == Class::Invalid => {
            let errors: HashMap<String, String> = error
                .field_errors()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect();
            (status_of(&error), None, errors)
        }
        Err(error) => return forbidden(&web, &visitor, &error, "moderators_only"),
    };
    if let Some(trail) = &trail {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &values {
            if key != "page" && !value.trim().is_empty() {
                next.append_pair(key, value);
            }
        }
        next.append_pair("page", &(trail.page + 1).to_string());
        context.insert("next", &format!("/moderation/audit?{}", next.finish()));
    }
    // The objects before and after, as moderators read them (pretty JSON text), and what a
    // suspension hides, in words.
    let catalogue = web.pages.catalogue(&visitor);
    let trail = trail.map(|trail| {
        let mut shown = serde_json::to_value(&trail).unwrap_or_default();
        if let Some(entries) = shown["entries"].as_array_mut() {
            for (entry, listed) in entries.iter_mut().zip(&trail.entries) {
                for side in ["before", "after"] {
                    if !entry[side].is_null() {
                        let text = serde_json::to_string_pretty(&entry[side]).unwrap_or_default();
                        entry[side] = serde_json::Value::String(text);
                    }
                }
                if let Some(hides) = &listed.hides {
                    let count = |n: i64| n.to_string();
                    let counts = &hides.counts;
                    let text = catalogue.fill(
                        "audit_hides",
                        &[
                            ("events", &count(counts.events)),
                            ("comments", &count(counts.comments)),
                            ("removed_events", &count(counts.removed_events)),
                            ("removed_comments", &count(counts.removed_comments)),
                        ],
                    );
                    entry["hides_text"] = serde_json::Value::String(text);
                }
            }
        }
        shown
    });
    context.insert("trail", &trail);
    context.insert("errors", &errors);
    web.pages
        .render(&visitor, status, "moderation_audit.html", context)
}

/// GET `/moderation/domains`: other instances' domains with a decision in force, what each
/// touches here, and the administrators' form to decide (moderators read it).
pub async fn domains(State(web): State<Web>, visitor: Visitor) -> Response {
    domains_page(&web, &visitor, &HashMap::new(), Outcome::Asked).await
}

/// What the domains page follows: a plain visit, a refused decision, or the counts of a
/// decision on everything a domain sent.
enum Outcome<'a> {
    Asked,
    Refused(&'a convene_api::Error),
    Content(&'a DecisionMade),
}

/// POST `/moderation/domains`: an administrator's decision on a domain (`domain`, `action`,
/// `reason`, `public_comment`, `until`); a refused one shows the form again, the field marked.
pub async fn decide_on_domain(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(action) = Action::parse(&field(&values, "action")) else {
        let error = convene_api::Error::invalid_field(
            "action",
            "choose suspend, limit, lift, reject_media, accept_media, reject_reports, \
             accept_reports, remove_content or restore_content",
        );
        return domains_page(&web, &visitor, &values, Outcome::Refused(&error)).await;
    };
    let comment = field(&values, "public_comment");
    let new = NewDecision {
        action,
        target: DecisionTarget::Domain {
            domain: field(&values, "domain"),
        },
        reason: field(&values, "reason"),
        report: None,
        until: datetime_local(&field(&values, "until")),
        public_comment: Some(comment).filter(|c| !c.trim().is_empty()),
    };
    match moderation::decide(&web.app, session, new).await {
        // What was removed or restored is said once, on the page the form is on.
        Ok(made) if made.content.is_some() => {
            domains_page(&web, &visitor, &HashMap::new(), Outcome::Content(&made)).await
        }
        Ok(_) => see_other(&visitor, "/moderation/domains"),
        Err(error) if matches!(error.class(), Class::Invalid | Class::Conflict) => {
            domains_page(&web, &visitor, &values, Outcome::Refused(&error)).await
        }
        Err(error) => forbidden(&web, &visitor, &error, "moderators_only"),
    }
}

async fn domains_page(
    web: &Web,
    visitor: &Visitor,
    values: &HashMap<String, String>,
    outcome: Outcome<'_>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(visitor);
    };
    let (failed, content) = match outcome {
        Outcome::Asked => (None, None),
        Outcome::Refused(error) => (Some(error), None),
        Outcome::Content(made) => (None, Some(made)),
    };
    let standings = match moderation::domains_in_force(&web.app, session).await {
        Ok(standings) => standings,
        Err(error) => return forbidden(web, visitor, &error, "moderators_only"),
    };
    // The API names the domain `target.domain`; the form's field is `domain`.
    let errors: HashMap<String, String> = form_errors(failed)
        .into_iter()
        .map(|(field, message)| (field.replace("target.", ""), message))
        .collect();
    // One row per suspension, limit or policy, the domain's impact beside each.
    let rows: Vec<serde_json::Value> = standings
        .iter()
        .flat_map(|s| {
            s.decision.iter().chain(&s.policies).map(|decision| {
                serde_json::json!({"domain": s.domain, "decision": decision, "impact": s.impact})
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("standings", &rows);
    context.insert("content", &content);
    // Which message says what it did: `removed` or `restored`.
    let done = content.map(|made| {
        if made.change.ends_with("Removed") {
            "removed"
        } else {
            "restored"
        }
    });
    context.insert("content_done", &done);
    context.insert(
        "administrator",
        &(session.account.role == Role::Administrator),
    );
    context.insert("values", values);
    context.insert("errors", &errors);
    web.pages.render(
        visitor,
        failed.map_or(StatusCode::OK, status_of),
        "moderation_domains.html",
        context,
    )
}

/// GET `/moderation/revert?account=…&from=…&to=…`: the form to revert what an account (or one
/// of its profiles) did in a window, filled from the link that opened it.
pub async fn revert_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    if let Err(error) = convene_api::reports::require_moderator(session) {
        return forbidden(&web, &visitor, &error, "moderators_only");
    }
    revert_page(&web, &visitor, &values, None, None)
}

/// POST `/moderation/revert`: the plan (`apply` absent or 0), or the plan carried out
/// (`apply=1`, from the preview's button); a refused request shows the form again, the field
/// marked.
pub async fn revert(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let given = |k: &str| Some(field(&values, k)).filter(|v| !v.trim().is_empty());
    let request = RevertRequest {
        account: given("account"),
        profile: given("profile"),
        request_id: given("request_id"),
        from: given("from").map(|v| datetime_local(&v).unwrap_or_default()),
        to: given("to").map(|v| datetime_local(&v).unwrap_or_default()),
        reason: field(&values, "reason"),
        report: None,
        lock_out: field(&values, "lock_out") == "1",
        apply: field(&values, "apply") == "1",
    };
    match revert::revert(&web.app, session, request).await {
        Ok(plan) => revert_page(&web, &visitor, &values, Some(&plan), None),
        Err(error) if matches!(error.class(), Class::Invalid | Class::NotFound) => {
            revert_page(&web, &visitor, &values, None, Some(&error))
        }
        Err(error) => forbidden(&web, &visitor, &error, "moderators_only"),
    }
}

fn revert_page(
    web: &Web,
    visitor: &Visitor,
    values: &HashMap<String, String>,
    plan: Option<&RevertPlan>,
    failed: Option<&convene_api::Error>,
) -> Response {
    let errors = form_errors(failed);
    // Each step's before and after, as moderators read them (pretty JSON text).
    let plan = plan.map(|plan| {
        let mut shown = serde_json::to_value(plan).unwrap_or_default();
        if let Some(steps) = shown["steps"].as_array_mut() {
            for step in steps {
                for side in ["before", "after"] {
                    let text = serde_json::to_string_pretty(&step[side]).unwrap_or_default();
                    step[side] = serde_json::Value::String(text);
                }
            }
        }
        shown
    });
    let mut context = Context::new();
    let mut values = values.clone();
    // A new form locks the account out unless the moderator says otherwise.
    if !values.contains_key("_csrf") {
        values.insert("lock_out".into(), "1".into());
    }
    context.insert("values", &values);
    context.insert("errors", &errors);
    context.insert("plan", &plan);
    web.pages.render(
        visitor,
        failed.map_or(StatusCode::OK, status_of),
        "moderation_revert.html",
        context,
    )
}
