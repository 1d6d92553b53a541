//! `/reports` (filing) and `/moderation/…` (the queue, a report in full, moderators' actions,
//! any object as it was, decisions).

use super::extract::{ApiOrigin, MaybeSession, Params, PROFILE_HEADER};
use super::problem::{Body, Problem};
use crate::audit::{self, AuditPage, AuditQuery};
use crate::auth::Session;
use crate::moderation::{self, DecisionMade, DomainStanding, NewDecision, PublicDomainDecision};
use crate::objects::{self, ObjectAsOf};
use crate::reports::{
    self, Decision, FiledReport, NewNote, NewReport, QueueQuery, ReportDetail, Reporter,
};
use crate::revert::{self, RevertPlan, RevertRequest};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use convene_projections::reports::ReportRow;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file))
        .routes(routes!(queue))
        .routes(routes!(detail))
        .routes(routes!(assign))
        .routes(routes!(note))
        .routes(routes!(resolve))
        .routes(routes!(close))
        .routes(routes!(object))
        .routes(routes!(decide))
        .routes(routes!(domains))
        .routes(routes!(domain))
        .routes(routes!(public_domains))
        .routes(routes!(audit))
        .routes(routes!(revert))
}

/// Report a profile, an event, comments of an event, a group, or another instance's profile
/// or group known here (`remote_actor`, by its actor URL) to the instance's moderators, as the
/// acting profile (or anonymously, when the instance allows it and no token is sent).
#[utoipa::path(post, path = "/reports", tag = "moderation", request_body = NewReport,
    security((), ("bearer" = [])),
    responses((status = 201, body = FiledReport), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn file(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    ApiOrigin(origin): ApiOrigin,
    headers: HeaderMap,
    Body(new): Body<NewReport>,
) -> Result<(StatusCode, Json<FiledReport>), Problem> {
    let reporter = match session {
        Some(session) => {
            let chosen = headers
                .get(PROFILE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Reporter::Profile(Box::new(session.acting_as(&state, chosen).await?))
        }
        None => Reporter::Anonymous(origin),
    };
    let filed = reports::file(&state, reporter, new).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

/// The moderators' queue of reports, oldest first (moderators and administrators).
#[utoipa::path(get, path = "/moderation/reports", tag = "moderation", params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportRow>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn queue(
    State(state): State<AppState>,
    session: Session,
    Params(query): Params<QueueQuery>,
) -> Result<Json<Vec<ReportRow>>, Problem> {
    Ok(Json(reports::queue(&state, &session, query).await?))
}

/// A report in full: the target as it was when reported, notes and history.
#[utoipa::path(get, path = "/moderation/reports/{id}", tag = "moderation", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ReportDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<ReportDetail>, Problem> {
    Ok(Json(reports::detail(&state, &session, &id).await?))
}

/// Take the report.
#[utoipa::path(post, path = "/moderation/reports/{id}/assign", tag = "moderation", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ReportDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn assign(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<ReportDetail>, Problem> {
    Ok(Json(reports::assign(&state, &session, &id).await?))
}

/// Add an internal note (never shown outside moderation).
#[utoipa::path(post, path = "/moderation/reports/{id}/notes", tag = "moderation", request_body = NewNote,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ReportDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn note(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Body(note): Body<NewNote>,
) -> Result<(StatusCode, Json<ReportDetail>), Problem> {
    let detail = reports::add_note(&state, &session, &id, note).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Resolve the report (something was done), with the required reason; the reporter is told.
#[utoipa::path(post, path = "/moderation/reports/{id}/resolve", tag = "moderation", request_body = Decision,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReportDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn resolve(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Body(decision): Body<Decision>,
) -> Result<Json<ReportDetail>, Problem> {
    Ok(Json(
        reports::handle(&state, &session, &id, decision, true).await?,
    ))
}

/// Close the report (nothing to do), with the required reason; the reporter is told.
#[utoipa::path(post, path = "/moderation/reports/{id}/close", tag = "moderation", request_body = Decision,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReportDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn close(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Body(decision): Body<Decision>,
) -> Result<Json<ReportDetail>, Problem> {
    Ok(Json(
        reports::handle(&state, &session, &id, decision, false).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AsOf {
    /// A log position (the head when absent).
    at: Option<i64>,
}

/// An event, profile or group as it was at a log position, with its changes and who made
/// each (moderators and administrators).
#[utoipa::path(get, path = "/moderation/objects/{kind}/{id}", tag = "moderation",
    params(("kind" = String, Path, description = "event, profile or group"), ("id" = String, Path), AsOf),
    security(("bearer" = [])),
    responses((status = 200, body = ObjectAsOf), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn object(
    State(state): State<AppState>,
    session: Session,
    Path((kind, id)): Path<(String, String)>,
    Params(query): Params<AsOf>,
) -> Result<Json<ObjectAsOf>, Problem> {
    reports::require_moderator(&session)?;
    Ok(Json(objects::as_of(&state, &kind, &id, query.at).await?))
}

/// Decide on an event, a comment, a profile, a group, another instance's actor or an account
/// (moderators and administrators), or
/// on another instance's domain (administrators): hide, unhide, remove, restore,
/// close_comments or reopen_comments an event; remove or restore a comment; suspend, unsuspend
/// warn or lock out (every session closed until the password is reset) a profile's account or
/// an account; limit or unlimit a profile (its events out of public listings and search);
/// suspend or unsuspend a group, or another instance's actor known here (by its URL); suspend,
/// limit or lift a domain. The reason is required;
/// `until` (in the future) ends hide, remove, close_comments, suspend and limit by itself. A
/// decision that would change nothing is a 409.
#[utoipa::path(post, path = "/moderation/decisions", tag = "moderation", request_body = NewDecision,
    security(("bearer" = [])),
    responses((status = 201, body = DecisionMade), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn decide(
    State(state): State<AppState>,
    session: Session,
    Body(new): Body<NewDecision>,
) -> Result<(StatusCode, Json<DecisionMade>), Problem> {
    let made = moderation::decide(&state, &session, new).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Other instances' domains with a decision in force (moderators and administrators): suspended
/// or limited, with the reason, the public comment, and what each decision touches here.
#[utoipa::path(get, path = "/moderation/domains", tag = "moderation",
    security(("bearer" = [])),
    responses((status = 200, body = [DomainStanding]), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn domains(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<DomainStanding>>, Problem> {
    Ok(Json(moderation::domains_in_force(&state, &session).await?))
}

/// One domain (moderators and administrators): the decision in force, if any, and what a
/// decision touches here — the events, comments, participants, followers and follows from it,
/// counted before deciding. Nothing is deleted by a decision; lifting it brings all back.
#[utoipa::path(get, path = "/moderation/domains/{domain}", tag = "moderation",
    params(("domain" = String, Path, description = "mobilizon.example, or host:port")),
    security(("bearer" = [])),
    responses((status = 200, body = DomainStanding), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn domain(
    State(state): State<AppState>,
    session: Session,
    Path(domain): Path<String>,
) -> Result<Json<DomainStanding>, Problem> {
    Ok(Json(
        moderation::domain_standing(&state, &session, &domain).await?,
    ))
}

/// The domains this instance suspended or limited, with their public comments, for everyone:
/// only when the instance publishes them (`--publish-domain-decisions`), 404 otherwise.
#[utoipa::path(get, path = "/instance/domain-decisions", tag = "moderation",
    responses((status = 200, body = [PublicDomainDecision]), (status = 404, body = Problem)))]
async fn public_domains(
    State(state): State<AppState>,
) -> Result<Json<Vec<PublicDomainDecision>>, Problem> {
    Ok(Json(moderation::public_domain_decisions(&state).await?))
}

/// The audit trail over the log, newest first, 20 a page (moderators and administrators):
/// filtered by acting account, object (`target_kind` and `target_id`), kind of change and time;
/// each entry with its reason, report, and the object before and after.
#[utoipa::path(get, path = "/moderation/audit", tag = "moderation", params(AuditQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn audit(
    State(state): State<AppState>,
    session: Session,
    Params(query): Params<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    Ok(Json(audit::trail(&state, &session, query).await?))
}

/// Revert what an account (or one of its profiles) did between `from` and `to` (moderators and
/// administrators, on accounts of a lower role): events it created removed, its edits restored,
/// its comments removed, its joins and leaves undone, its profile changes undone, its
/// moderation decisions undone, its address restored, and (unless `lock_out` is false) every
/// session closed until a new password is set. Without `apply` this only shows the plan (200);
/// with it, one decision is recorded on the account and the plan is carried out under the same
/// request id (201). What someone else changed since is listed as a conflict, never
/// overwritten; applying twice does nothing more.
#[utoipa::path(post, path = "/moderation/reverts", tag = "moderation", request_body = RevertRequest,
    security(("bearer" = [])),
    responses((status = 200, body = RevertPlan), (status = 201, body = RevertPlan), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn revert(
    State(state): State<AppState>,
    session: Session,
    Body(request): Body<RevertRequest>,
) -> Result<(StatusCode, Json<RevertPlan>), Problem> {
    let plan = revert::revert(&state, &session, request).await?;
    let status = if plan.applied {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(plan)))
}
