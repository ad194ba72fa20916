//! `/v2/apps` and `/v2/apps/{id}`: list, create, get, update, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Extension;
use parking_lot::RwLockWriteGuard;
use serde::Serialize;

use super::errors::ApiError;
use super::pagination::{links, Links, Meta, Page, Query};
use super::routes::{body_bool, body_str, parse_body, ApiResult, Ctx, Reply};
use super::scopes::{check_database_credentials, Grant};
use super::state::Shared;
use super::store::Moment;
use super::validate::{spec_of_body, validate_spec};
use super::views::{app_view, AppView};

#[derive(Serialize)]
struct AppsPage<'a> {
    apps: Vec<AppView<'a>>,
    links: Links,
    meta: Meta,
}

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let store = s.store.read();
    let total = store.apps.len();
    let clock = s.clock();
    let apps = page
        .range(total)
        .filter_map(|i| store.apps.get_index(i))
        .map(|(_, app)| app_view(app, &s.owner, clock, None))
        .collect();
    Ok(Reply::json(&AppsPage {
        apps,
        links: links(&ctx.origin, "/v2/apps", &query, page, total),
        meta: Meta { total },
    }))
}

pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    Extension(grant): Extension<Grant>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body, true)?;
    let spec = spec_of_body(&body).map_err(ApiError::invalid)?;
    let project_id = body_str(&body, "project_id")?;
    validate_spec(spec).map_err(ApiError::invalid)?;
    check_database_credentials(&grant, spec)?;
    let (id, deployment) = s.create_app(spec, project_id, false)?;
    let store = s.store.read();
    let app = store.app(&id)?;
    Ok(Reply::wrap(
        "app",
        &app_view(app, &s.owner, s.clock(), Some(&deployment)),
    ))
}

/// `GET /v2/apps/{id}`; with `?name=`, the app is looked up by name instead.
pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let store = s.store.read();
    let app = match query.get("name").filter(|n| !n.is_empty()) {
        Some(name) => store.app_by_name(name).ok_or_else(ApiError::not_found)?,
        None => store.app(&id)?,
    };
    Ok(Reply::wrap(
        "app",
        &app_view(app, &s.owner, s.clock(), None),
    ))
}

pub(crate) async fn update(
    State(s): State<Arc<Shared>>,
    Extension(grant): Extension<Grant>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&id)?;
    let body = parse_body(&body, true)?;
    let spec = spec_of_body(&body).map_err(ApiError::invalid)?;
    body_bool(&body, "update_all_source_versions")?;
    let sealed = s.accept_spec(spec)?;
    // Refused before anything is stored: no new spec, no deployment.
    check_database_credentials(&grant, spec)?;
    let mut store = s.store.write();
    store.update_app(&id, sealed, &s.entropy, Moment::now())?;
    let store = RwLockWriteGuard::downgrade(store);
    let app = store.app(&id)?;
    let deployment = app.deployments.last().map(|d| d.id.as_str());
    Ok(Reply::wrap(
        "app",
        &app_view(app, &s.owner, s.clock(), deployment),
    ))
}

#[derive(Serialize)]
struct Deleted<'a> {
    id: &'a str,
}

pub(crate) async fn delete(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult {
    s.store.write().delete_app(&id)?;
    Ok(Reply::json(&Deleted { id: &id }))
}
