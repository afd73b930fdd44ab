//! The stand-in FHIR R4 API under `/fhir/`, as `docs/flexpa.md` ("FHIR API") describes Flexpa's:
//!
//! - `GET /fhir/<Type>/<id>`: a read;
//! - `GET /fhir/<Type>?<params>`: a search, one `searchset` Bundle per page: `_count` per page
//!   (default 20, at most 1000, both configurable), `_offset`, `Bundle.total`, and absolute
//!   `self` / `first` / `previous` / `next` links;
//! - `GET /fhir/Patient/<id>/$everything`: every resource of the patient in one unpaginated
//!   `searchset` Bundle;
//! - `GET /fhir/metadata`: the CapabilityStatement (resource types, interactions, the
//!   `everything` operation).
//!
//! `$PATIENT_ID` in the path or in a query value stands for the token's patient. Reads,
//! searches and `$everything` need a patient access token, and wait for the patient's data:
//! for the syncing window after the first token they answer 429 with an `OperationOutcome`
//! `transient` and `Retry-After` / `X-Retry-After`; then the data, or, for a plan whose sync
//! fails, 422 `processing`. An application token (`client_credentials`) may read the
//! CapabilityStatement only (403 `forbidden` elsewhere). FHIR errors are `OperationOutcome`s;
//! a missing or bad token is Flexpa's 401 JSON.

// The request helpers return the finished error `Response`, as in `api.rs`.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

use super::api::{bearer, flexpa_error};
use super::data::{self, Plan};
use super::store::{Authorization, SyncStatus};
use super::{request_origin, Sandbox};

/// The wildcard Flexpa replaces with the token's patient id.
const PATIENT_ID: &str = "$PATIENT_ID";

/// The FHIR routes (state: the sandbox).
pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/fhir/metadata", get(metadata))
        .route("/fhir/{resource_type}", get(search))
        .route("/fhir/{resource_type}/{id}", get(read))
        .route("/fhir/{resource_type}/{id}/{operation}", get(operation))
}

/// A FHIR JSON answer.
fn fhir(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An `OperationOutcome` with one error issue of this code (`not-found`, `transient`, ...).
pub(crate) fn operation_outcome(
    status: StatusCode,
    code: &str,
    diagnostics: impl Into<String>,
) -> Response {
    fhir(
        status,
        json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics.into() }]
        }),
    )
}

/// Text from the request, shortened for an error message.
fn shown(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Who is calling, by the bearer token.
enum Caller {
    /// A patient access token: that patient's authorization.
    Patient(Authorization),
    /// An application access token (`client_credentials`): no patient.
    Application,
}

fn caller(sandbox: &Sandbox, headers: &HeaderMap) -> Result<Caller, Response> {
    let token = bearer(headers)?;
    let store = sandbox.store();
    if store.is_app_token(token) {
        return Ok(Caller::Application);
    }
    store
        .access(token, false)
        .map(|(_, auth)| Caller::Patient(auth))
        .map_err(|e| flexpa_error(StatusCode::UNAUTHORIZED, e.message()))
}

/// The patient whose data this call may read, once that data is synced.
fn patient_data(sandbox: &Sandbox, headers: &HeaderMap) -> Result<Authorization, Response> {
    let auth = match caller(sandbox, headers)? {
        Caller::Patient(auth) => auth,
        Caller::Application => {
            return Err(operation_outcome(
                StatusCode::FORBIDDEN,
                "forbidden",
                "An application access token has no patient: use a patient access token.",
            ))
        }
    };
    match auth.sync_status(sandbox.inner.config.sync_window) {
        SyncStatus::Completed => Ok(auth),
        SyncStatus::Syncing(left) => Err(still_syncing(left)),
        SyncStatus::Failed => Err(operation_outcome(
            StatusCode::UNPROCESSABLE_ENTITY,
            "processing",
            format!(
                "Syncing this patient's data from {} failed.",
                auth.plan.label[0]
            ),
        )),
    }
}

/// 429 `transient`: the data is still being fetched; retry in `left` (whole seconds, at least
/// one), in both headers Flexpa is said to use.
fn still_syncing(left: std::time::Duration) -> Response {
    let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut response = operation_outcome(
        StatusCode::TOO_MANY_REQUESTS,
        "transient",
        format!("This patient's data is still syncing; retry in {seconds} s."),
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    headers.insert("x-retry-after", HeaderValue::from(seconds));
    response
}

/// The patient's resources of this type, or `None` for a type the endpoint does not serve.
fn resources(plan: &Plan, resource_type: &str) -> Option<Vec<Value>> {
    match resource_type {
        "Patient" => Some(vec![data::patient(plan)]),
        "Coverage" => Some(data::coverages(plan)),
        "ExplanationOfBenefit" => Some(data::explanations_of_benefit(plan)),
        _ => None,
    }
}

fn unsupported_type(resource_type: &str) -> Response {
    operation_outcome(
        StatusCode::NOT_FOUND,
        "not-supported",
        format!(
            "Resource type '{}' is not supported by this endpoint (sandbox: {})",
            shown(resource_type),
            data::RESOURCES.join(", ")
        ),
    )
}

fn not_authorized_for_patient() -> Response {
    operation_outcome(
        StatusCode::FORBIDDEN,
        "forbidden",
        "This access token is not authorized for that patient.",
    )
}

/// The synced patient of this call and their resources of this type.
fn patient_resources(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    resource_type: &str,
) -> Result<(Authorization, Vec<Value>), Response> {
    let auth = patient_data(sandbox, headers)?;
    match resources(auth.plan, resource_type) {
        Some(list) => Ok((auth, list)),
        None => Err(unsupported_type(resource_type)),
    }
}

/// `value` with `$PATIENT_ID` replaced by the patient's id.
fn resolve(value: &str, plan: &Plan) -> String {
    value.replace(PATIENT_ID, plan.patient_id)
}

/// `GET /fhir/<Type>/<id>`: a read, limited to the token's patient.
async fn read(
    State(sandbox): State<Sandbox>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (auth, list) = match patient_resources(&sandbox, &headers, &resource_type) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let id = resolve(&id, auth.plan);
    match list.into_iter().find(|r| r["id"] == id.as_str()) {
        Some(resource) => fhir(StatusCode::OK, resource),
        None => operation_outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "Resource {}/{} is not known",
                shown(&resource_type),
                shown(&id)
            ),
        ),
    }
}

/// The search's paging: how many per page, from where.
struct Paging {
    count: usize,
    offset: usize,
}

/// Reads `_count` (default and maximum from the config; larger asks get the maximum, as FHIR
/// servers may do) and `_offset`; anything but a whole number is a 400 `invalid`.
fn paging(sandbox: &Sandbox, params: &[(String, String)]) -> Result<Paging, Response> {
    let config = &sandbox.inner.config;
    let number = |name: &str| -> Result<Option<usize>, Response> {
        match params.iter().rev().find(|(n, _)| n == name) {
            None => Ok(None),
            Some((_, v)) => v.trim().parse::<usize>().map(Some).map_err(|_| {
                operation_outcome(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    format!("{name} must be a whole number, not '{}'", shown(v)),
                )
            }),
        }
    };
    let max = config.search_count_max.max(1);
    let count = number("_count")?
        .unwrap_or(config.search_count_default)
        .min(max);
    let offset = number("_offset")?.unwrap_or(0);
    Ok(Paging { count, offset })
}

/// A page's URL: the search's own parameters (paging ones replaced) with this page's.
fn page_url(base: &str, params: &[(String, String)], count: usize, offset: usize) -> String {
    let mut query: Vec<(&str, String)> = params
        .iter()
        .filter(|(n, _)| n != "_count" && n != "_offset")
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    query.push(("_count", count.to_string()));
    query.push(("_offset", offset.to_string()));
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    format!("{base}?{query}")
}

fn entry(base: &str, resource: Value) -> Value {
    let url = format!(
        "{base}/{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    );
    json!({ "fullUrl": url, "resource": resource, "search": { "mode": "match" } })
}

fn searchset(total: usize, links: Vec<Value>, entries: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "id": Uuid::new_v4(),
        "meta": { "lastUpdated": data::META_UPDATED },
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries
    })
}

fn link(relation: &str, url: String) -> Value {
    json!({ "relation": relation, "url": url })
}

/// `GET /fhir/<Type>?<params>`: one page of the token's patient's resources of that type.
/// `patient` / `beneficiary` may be the id, `Patient/<id>` or `$PATIENT_ID`; another patient
/// is 403. `_id` selects resources by id (comma-separated). Other parameters are accepted and
/// ignored.
async fn search(
    State(sandbox): State<Sandbox>,
    Path(resource_type): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (auth, list) = match patient_resources(&sandbox, &headers, &resource_type) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(params) =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
    else {
        return operation_outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "The search parameters cannot be read.",
        );
    };
    let params: Vec<(String, String)> = params
        .into_iter()
        .map(|(n, v)| (n, resolve(&v, auth.plan)))
        .collect();
    let own = auth.plan.patient_id;
    let mut ids: Option<Vec<&str>> = None;
    for (name, value) in &params {
        match name.as_str() {
            "patient" | "beneficiary" if value.strip_prefix("Patient/").unwrap_or(value) != own => {
                return not_authorized_for_patient();
            }
            "_id" if resource_type == "Patient" && value != own => {
                return not_authorized_for_patient();
            }
            "_id" if resource_type != "Patient" => {
                ids = Some(value.split(',').map(str::trim).collect())
            }
            _ => {}
        }
    }
    let paging = match paging(&sandbox, &params) {
        Ok(paging) => paging,
        Err(response) => return response,
    };
    let matches: Vec<Value> = list
        .into_iter()
        .filter(|r| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().any(|id| r["id"] == *id))
        })
        .collect();
    let total = matches.len();
    let fhir_base = format!("{}/fhir", request_origin(&sandbox, &headers));
    let base = format!("{fhir_base}/{resource_type}");
    let Paging { count, offset } = paging;
    let mut links = vec![
        link("self", page_url(&base, &params, count, offset)),
        link("first", page_url(&base, &params, count, 0)),
    ];
    if offset > 0 {
        links.push(link(
            "previous",
            page_url(&base, &params, count, offset.saturating_sub(count)),
        ));
    }
    // `_count=0` asks for the total only: no next page.
    if count > 0 && offset.saturating_add(count) < total {
        links.push(link(
            "next",
            page_url(&base, &params, count, offset + count),
        ));
    }
    let entries = matches
        .into_iter()
        .skip(offset)
        .take(count)
        .map(|r| entry(&fhir_base, r))
        .collect();
    fhir(StatusCode::OK, searchset(total, links, entries))
}

/// `GET /fhir/<Type>/<id>/<operation>`: `Patient/<id>/$everything`, every resource of the
/// patient in one unpaginated Bundle. Other operations are 404 `not-supported`.
async fn operation(
    State(sandbox): State<Sandbox>,
    Path((resource_type, id, operation)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if resource_type != "Patient" || operation != "$everything" {
        return operation_outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!(
                "Operation {}/{{id}}/{} is not supported by this endpoint (sandbox: \
                 Patient/{{id}}/$everything)",
                shown(&resource_type),
                shown(&operation)
            ),
        );
    }
    let auth = match patient_data(&sandbox, &headers) {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let plan = auth.plan;
    if resolve(&id, plan) != plan.patient_id {
        return not_authorized_for_patient();
    }
    let fhir_base = format!("{}/fhir", request_origin(&sandbox, &headers));
    let entries: Vec<Value> = data::RESOURCES
        .iter()
        .filter_map(|t| resources(plan, t))
        .flatten()
        .map(|r| entry(&fhir_base, r))
        .collect();
    let self_url = format!("{fhir_base}/Patient/{id}/$everything");
    fhir(
        StatusCode::OK,
        searchset(entries.len(), vec![link("self", self_url)], entries),
    )
}

/// `GET /fhir/metadata`: the endpoint's CapabilityStatement (any valid token; not held back
/// while syncing: it describes the endpoint, not the patient).
async fn metadata(State(sandbox): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(response) = caller(&sandbox, &headers) {
        return response;
    }
    let base = format!("{}/fhir", request_origin(&sandbox, &headers));
    let resources: Vec<Value> = data::RESOURCES
        .iter()
        .map(|t| {
            let mut resource = json!({
                "type": t,
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "searchParam": [
                    { "name": "_id", "type": "token" },
                    { "name": if *t == "Coverage" { "beneficiary" } else { "patient" }, "type": "reference" },
                    { "name": "_count", "type": "number" },
                ],
            });
            if *t == "Patient" {
                resource["operation"] = json!([{
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                }]);
            }
            resource
        })
        .collect();
    fhir(
        StatusCode::OK,
        json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": data::META_UPDATED,
            "publisher": "flexpa-link sandbox",
            "kind": "instance",
            "software": { "name": "flexpa-link-demo-server sandbox" },
            "implementation": { "description": "Offline stand-in for the Flexpa FHIR API", "url": base },
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [{ "mode": "server", "resource": resources }]
        }),
    )
}
