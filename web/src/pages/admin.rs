//! The instance's administration pages: the dashboard (`/admin`), the settings form
//! (`/admin/settings`, administrators), the registrations waiting for approval
//! (`/admin/registrations`, moderators) and the accounts (`/admin/accounts`). What everyone
//! reads of the instance is in [`super::about`].

use super::{field, forbidden, login_first, posting_session, Fields};
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::instance::{self, Verdict};
use convene_api::Class;
use convene_domain::instance::{
    InstanceSettings, Registrations, RuleInput, SettingsInput, Transparency,
};
use std::collections::HashMap;
use tera::Context;

/// GET `/admin`: the dashboard (moderators and administrators).
pub async fn dashboard(State(web): State<Web>, visitor: Visitor) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    let dashboard = match instance::dashboard(&web.app, session).await {
        Ok(dashboard) => dashboard,
        Err(error) => return forbidden(&web, &visitor, &error, "moderators_only"),
    };
    let mut context = Context::new();
    context.insert("dashboard", &dashboard);
    context.insert(
        "administrator",
        &(session.account.role == convene_domain::Role::Administrator),
    );
    web.pages
        .render(&visitor, StatusCode::OK, "admin.html", context)
}

/// The settings as the form shows them: one field per existing rule (`rule_ID`), new rules one
/// per line, languages and allowed addresses as lists.
fn form_values(settings: &InstanceSettings) -> HashMap<String, String> {
    let mut values = HashMap::from([
        ("name".to_string(), settings.name.clone()),
        ("description".to_string(), settings.description.clone()),
        ("terms".to_string(), settings.terms.clone()),
        ("privacy".to_string(), settings.privacy.clone()),
        ("contact".to_string(), settings.contact.clone()),
        ("languages".to_string(), settings.languages.join(", ")),
        (
            "registrations".to_string(),
            settings.registrations.as_str().to_string(),
        ),
        (
            "approval_after_idle_days".to_string(),
            settings
                .approval_after_idle_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "transparency".to_string(),
            settings.transparency.as_str().to_string(),
        ),
    ]);
    if let Registrations::Allowlist { allowed } = &settings.registrations {
        values.insert("allowed".into(), allowed.join("\n"));
    }
    for rule in &settings.rules {
        values.insert(format!("rule_{}", rule.id), rule.text.clone());
    }
    values
}

/// The settings a submitted form asks for (the API checks every field); `rules` are those in
/// force, whose fields the form shows.
fn submitted(
    values: &HashMap<String, String>,
    rules: &[convene_domain::instance::Rule],
) -> Result<SettingsInput, convene_api::Error> {
    let lines = |name: &str| -> Vec<String> {
        field(values, name)
            .split(['\n', ','])
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let mut kept: Vec<RuleInput> = rules
        .iter()
        .map(|r| RuleInput {
            id: Some(r.id),
            text: field(values, &format!("rule_{}", r.id)),
        })
        .collect();
    kept.extend(
        field(values, "new_rules")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|text| RuleInput {
                id: None,
                text: text.to_string(),
            }),
    );
    let registrations = match field(values, "registrations").as_str() {
        "approval" => Registrations::Approval,
        "closed" => Registrations::Closed,
        "allowlist" => Registrations::Allowlist {
            allowed: lines("allowed"),
        },
        _ => Registrations::Open,
    };
    let transparency = match field(values, "transparency").as_str() {
        "anonymous" => Transparency::Anonymous,
        "named" => Transparency::Named,
        _ => Transparency::Off,
    };
    let days = field(values, "approval_after_idle_days");
    let approval_after_idle_days = if days.trim().is_empty() {
        None
    } else {
        Some(days.trim().parse::<u16>().map_err(|_| {
            convene_api::Error::invalid_field(
                "approval_after_idle_days",
                "a number of days from 1 to 365, or nothing for never",
            )
        })?)
    };
    Ok(SettingsInput {
        name: field(values, "name"),
        description: values.get("description").cloned().unwrap_or_default(),
        rules: kept,
        terms: values.get("terms").cloned().unwrap_or_default(),
        privacy: values.get("privacy").cloned().unwrap_or_default(),
        contact: field(values, "contact"),
        languages: lines("languages"),
        registrations,
        approval_after_idle_days,
        transparency,
    })
}

/// GET `/admin/settings`: the settings form (administrators).
pub async fn settings(State(web): State<Web>, visitor: Visitor) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    match instance::settings_for_administrators(&web.app, session).await {
        Ok(current) => settings_page(&web, &visitor, &current, &form_values(&current), None),
        Err(error) if error.class() == Class::Forbidden => {
            forbidden(&web, &visitor, &error, "admins_only")
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// POST `/admin/settings`: saves them; a refused field shows the form again, marked.
pub async fn save_settings(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let current = match instance::settings(&web.app).await {
        Ok(current) => current,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let saved = match submitted(&values, &current.rules) {
        Ok(form) => instance::change_settings(&web.app, session, form).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => see_other(&visitor, "/admin/settings"),
        Err(error) if error.class() == Class::Invalid => {
            settings_page(&web, &visitor, &current, &values, Some(&error))
        }
        Err(error) if error.class() == Class::Forbidden => {
            forbidden(&web, &visitor, &error, "admins_only")
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

fn settings_page(
    web: &Web,
    visitor: &Visitor,
    current: &InstanceSettings,
    values: &HashMap<String, String>,
    failed: Option<&convene_api::Error>,
) -> Response {
    // Rule errors (`rules[2].text`) are shown above the rules; `registrations.allowed` beside
    // the list of allowed addresses.
    let mut errors: HashMap<String, String> = HashMap::new();
    for e in failed.map(|f| f.field_errors()).unwrap_or_default() {
        let key = if e.field.starts_with("rules") {
            "rules".to_string()
        } else {
            e.field.replace("registrations.", "")
        };
        errors
            .entry(key)
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(&e.message);
            })
            .or_insert(e.message);
    }
    let mut values = values.clone();
    values.remove("_csrf");
    let mut context = Context::new();
    context.insert("rules", &current.rules);
    context.insert("values", &values);
    context.insert("errors", &errors);
    web.pages.render(
        visitor,
        failed.map_or(StatusCode::OK, status_of),
        "admin_settings.html",
        context,
    )
}

/// GET `/admin/registrations`: the registrations waiting for approval (moderators).
pub async fn registrations(State(web): State<Web>, visitor: Visitor) -> Response {
    registrations_page(&web, &visitor, None, &HashMap::new()).await
}

async fn registrations_page(
    web: &Web,
    visitor: &Visitor,
    failed: Option<(&str, &convene_api::Error)>,
    values: &HashMap<String, String>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(visitor);
    };
    let pending = match instance::pending_registrations(&web.app, session).await {
        Ok(pending) => pending,
        Err(error) => return forbidden(web, visitor, &error, "moderators_only"),
    };
    let mut context = Context::new();
    context.insert("pending", &pending);
    context.insert("failed_account", &failed.map(|(account, _)| account));
    context.insert(
        "error",
        &failed.map(|(_, e)| {
            e.field_errors()
                .first()
                .map_or_else(|| e.to_string(), |f| f.message.clone())
        }),
    );
    context.insert("values", values);
    web.pages.render(
        visitor,
        failed.map_or(StatusCode::OK, |(_, e)| status_of(e)),
        "admin_registrations.html",
        context,
    )
}

/// POST `/admin/registrations/{account}`: approve, or reject with a reason.
pub async fn decide_registration(
    State(web): State<Web>,
    visitor: Visitor,
    Path(account): Path<String>,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let verdict = if field(&values, "verdict") == "reject" {
        Verdict::Reject
    } else {
        Verdict::Approve
    };
    let reason = field(&values, "reason");
    match instance::decide_registration(&web.app, session, &account, verdict, &reason).await {
        Ok(()) => see_other(&visitor, "/admin/registrations"),
        Err(error) if error.class() == Class::Invalid => {
            registrations_page(&web, &visitor, Some((&account, &error)), &values).await
        }
        Err(error) => forbidden(&web, &visitor, &error, "moderators_only"),
    }
}

/// GET `/admin/accounts?q=…&page=…`: accounts and their profiles, searched (moderators);
/// administrators change roles from here.
pub async fn accounts(
    State(web): State<Web>,
    visitor: Visitor,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    let words = field(&values, "q");
    let page = field(&values, "page").parse::<i64>().unwrap_or(1);
    let list = match instance::accounts(&web.app, session, &words, page).await {
        Ok(list) => list,
        Err(error) => return forbidden(&web, &visitor, &error, "moderators_only"),
    };
    let mut context = Context::new();
    context.insert("list", &list);
    context.insert("q", &words);
    context.insert(
        "administrator",
        &(session.account.role == convene_domain::Role::Administrator),
    );
    web.pages
        .render(&visitor, StatusCode::OK, "admin_accounts.html", context)
}

/// POST `/admin/accounts/{id}/role`: an administrator gives an account a role (`role`).
pub async fn change_role(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(role) = convene_domain::Role::parse(&field(&values, "role")) else {
        let error = convene_api::Error::invalid_field("role", "user, moderator or administrator");
        return web.pages.failure(&visitor, &error);
    };
    match convene_api::accounts::change_role(&web.app, session, &id, role).await {
        Ok(()) => see_other(&visitor, "/admin/accounts"),
        Err(error) => forbidden(&web, &visitor, &error, "admins_only"),
    }
}
