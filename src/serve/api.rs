//! The routes of `citeseek serve`: `/api/v1/…` answering with the JSON types of `render`, the
//! search page's three files, and the limits, headers and JSON errors around them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::error_handling::HandleErrorLayer;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{Generation, Served};
use crate::cite::{self, CiteRequest};
use crate::embed::Embedder;
use crate::hybrid::{RankMode, SemanticQuery};
use crate::index::OpenIndex;
use crate::passage::Kind;
use crate::references::CitationStyle;
use crate::render::{
    ApiErrorBody, ApiErrorOut, ApiSearchOut, AuditOut, CiteOut, HealthOut, PassageOut, RefShowOut,
    RefsListOut, SearchOut,
};
use crate::search::{self, SearchRequest};
use crate::synonyms::SynonymsCache;

/// The page's Content-Security-Policy: its own script and style only, no inline code.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const OPENAPI: &str = include_str!("openapi.json");

/// What one request may ask and take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest `q` or `claim`, in characters.
    pub query_chars: usize,
    pub max_limit: usize,
    pub max_offset: usize,
    /// Longest a request may take, waiting for its turn included.
    pub timeout: Duration,
    /// Searches run at once; the rest wait for a turn (within `timeout`).
    pub concurrency: usize,
    /// Largest request body, in bytes.
    pub body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            query_chars: 512,
            max_limit: 50,
            max_offset: 1000,
            timeout: Duration::from_secs(2),
            concurrency: 8,
            body_bytes: 16 * 1024,
        }
    }
}

/// Shared by the handlers.
#[derive(Clone)]
struct AppState {
    served: Arc<Served>,
    limits: Limits,
    turns: Arc<Semaphore>,
    /// The corpus's synonym file, parsed again only when it changes.
    synonyms: Arc<SynonymsCache>,
}

/// The whole application: routes, limits, headers, and CORS for `cors` when given.
pub fn router(served: Arc<Served>, limits: Limits, cors: Option<HeaderValue>) -> Router {
    let state = AppState {
        synonyms: Arc::new(SynonymsCache::new(&served.corpus)),
        served,
        limits,
        turns: Arc::new(Semaphore::new(limits.concurrency.max(1))),
    };
    let api = Router::new()
        .route("/api/v1/search", get(search_handler))
        .route("/api/v1/cite", get(cite_handler))
        .route("/api/v1/refs", get(refs_handler))
        .route("/api/v1/refs/{id}", get(ref_handler))
        .route("/api/v1/passages/{*id}", get(passage_handler))
        .route("/api/v1/audit", get(audit_handler))
        .route("/api/v1/health", get(health_handler))
        .route("/api/v1/openapi.json", get(openapi_handler))
        .route("/", get(page_handler))
        .route("/app.js", get(js_handler))
        .route("/app.css", get(css_handler))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    guarded(api, state, cors)
}

/// `routes` behind the limits, the JSON errors for them, the security headers and CORS.
fn guarded(routes: Router, state: AppState, cors: Option<HeaderValue>) -> Router {
    let limits = state.limits;
    let mut app = routes
        // A body streamed without a declared length is cut off at the limit too.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits.body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body_limit,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "timeout",
                        "the request took longer than the server allows (2 s): try a more \
                         specific query, or again in a moment",
                    )
                }))
                .layer(tower::timeout::TimeoutLayer::new(limits.timeout)),
        )
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed on this request; the failure was logged, other requests \
                 are unaffected",
            )
            .into_response()
        }))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if let Some(origin) = cors {
        app = app.layer(
            CorsLayer::new()
                .allow_origin(tower_http::cors::AllowOrigin::list([origin]))
                .allow_methods([Method::GET])
                .allow_headers([header::CONTENT_TYPE]),
        );
    }
    app
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/// A failed request: its status and the `{"error": {"code", "message"}}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
    }

    /// An error of the library, with the kind `--json` reports as its code.
    fn from_anyhow(e: &anyhow::Error) -> ApiError {
        let failure = crate::failure::describe(e);
        let status = match failure.kind {
            "query" | "usage" => StatusCode::BAD_REQUEST,
            "unknown_reference" => StatusCode::NOT_FOUND,
            "corpus" => StatusCode::CONFLICT,
            k if k.starts_with("index_") => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, failure.kind, failure.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorOut {
            error: ApiErrorBody {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, json_body(&body)).into_response()
    }
}

impl<E: Into<anyhow::Error>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError::from_anyhow(&e.into())
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such page: the API is under /api/v1/ (see /api/v1/openapi.json)",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "only GET is served: every endpoint reads",
    )
}

/// Refuse a body whose declared length is over the limit, with the API's JSON error.
async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.limits.body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max).into_response();
    }
    next.run(req).await
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the request body is over {} KiB: the API takes its parameters in the query string",
            max / 1024
        ),
    )
}

// ---------------------------------------------------------------------------
// parameters
// ---------------------------------------------------------------------------

/// A query string's parameters, checked against the names an endpoint takes.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(ApiError::bad(format!(
                "unknown parameter {k:?}: this endpoint takes {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A text parameter: required, not blank, at most `max` characters.
    fn text(&self, name: &str, max: usize) -> Result<String, ApiError> {
        let v = self.get(name).map(str::trim).unwrap_or("");
        if v.is_empty() {
            return Err(ApiError::bad(format!(
                "{name} is missing: give some words, e.g. ?{name}=heat+vs+ice"
            )));
        }
        let n = v.chars().count();
        if n > max {
            return Err(ApiError::bad(format!(
                "{name} is {n} characters long; the limit is {max}: shorten it"
            )));
        }
        Ok(v.to_string())
    }

    /// A whole number in `min..=max`, `default` when absent.
    fn number(
        &self,
        name: &str,
        min: usize,
        max: usize,
        default: usize,
    ) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad(format!(
                    "{name} must be a whole number from {min} to {max} (got {v:?})"
                ))),
            },
        }
    }

    fn style(&self) -> Result<CitationStyle, ApiError> {
        match self.get("style") {
            None | Some("apa") => Ok(CitationStyle::Apa),
            Some("vancouver") => Ok(CitationStyle::Vancouver),
            Some(v) => Err(ApiError::bad(format!(
                "style must be apa or vancouver (got {v:?})"
            ))),
        }
    }

    /// `mode`: hybrid, lexical or semantic; `None` when not given (hybrid with a model).
    fn mode(&self) -> Result<Option<RankMode>, ApiError> {
        match self.get("mode") {
            None | Some("") => Ok(None),
            Some("hybrid") => Ok(Some(RankMode::Hybrid)),
            Some("lexical") => Ok(Some(RankMode::Lexical)),
            Some("semantic") => Ok(Some(RankMode::Semantic)),
            Some(m) => Err(ApiError::bad(format!(
                "mode must be hybrid, lexical or semantic (got {m:?})"
            ))),
        }
    }
}

// ---------------------------------------------------------------------------
// handlers
// ---------------------------------------------------------------------------

fn json_body<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Run `work` on the blocking pool once a turn is free, against the generation being served
/// when the request arrived.
async fn answer<T, F>(state: &AppState, work: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Generation, &std::path::Path) -> Result<T, ApiError> + Send + 'static,
{
    let generation = state.served.current();
    let corpus = state.served.corpus.clone();
    let Ok(permit) = Arc::clone(&state.turns).acquire_owned().await else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is shutting down",
        )
        .into_response();
    };
    let task = tokio::task::spawn_blocking(move || {
        // The turn is given back when the work ends, even if the request timed out.
        let _permit = permit;
        work(&generation, &corpus)
    });
    match task.await {
        Ok(Ok(value)) => json_body(&value),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed on this request; other requests are unaffected",
        )
        .into_response(),
    }
}

async fn search_handler(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let limits = state.limits;
    let parsed = (|| {
        let p = Params::parse(
            raw.as_deref(),
            &["q", "limit", "offset", "kind", "cites", "mode"],
        )?;
        let query = p.text("q", limits.query_chars)?;
        let limit = p.number("limit", 1, limits.max_limit, 10)?;
        let offset = p.number("offset", 0, limits.max_offset, 0)?;
        let kind = match p.get("kind") {
            None | Some("") | Some("all") => None,
            Some(k) => Some(k.parse::<Kind>().map_err(|_| {
                ApiError::bad(format!("kind must be guide or reference (got {k:?})"))
            })?),
        };
        let mode = p.mode()?;
        let cites = p.get("cites").filter(|c| !c.is_empty()).map(str::to_string);
        Ok::<_, ApiError>((
            SearchRequest {
                query,
                limit,
                kind,
                cites,
                semantic: None,
            },
            offset,
            mode,
        ))
    })();
    let (mut req, offset, mode) = match parsed {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let synonyms = Arc::clone(&state.synonyms);
    let embedder = state.served.embedder.clone();
    answer(&state, move |generation, corpus| {
        let started = Instant::now();
        let index = &generation.index;
        req.semantic = semantic_for(embedder.as_deref(), index, mode, &req.query)?;
        if let Some(id) = &req.cites {
            crate::refs::check_known(index, id)?;
        }
        let synonyms = synonyms.get()?;
        let page = search::search_page(index, &req, offset, &synonyms)?;
        let mut out = ApiSearchOut::new(
            SearchOut::new(&req.query, &page.hits, &page.understood, page.mode, corpus),
            page.total,
            offset,
            req.limit,
        );
        out.took_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
        Ok(out)
    })
    .await
}

/// The query's vector for `mode` (default: hybrid when the server has the model); `None` for
/// lexical ranking, or when this generation has no vectors of the model.
fn semantic_for(
    embedder: Option<&Embedder>,
    index: &OpenIndex,
    mode: Option<RankMode>,
    text: &str,
) -> Result<Option<SemanticQuery>, ApiError> {
    let embedder = match (embedder, mode) {
        (_, Some(RankMode::Lexical)) => return Ok(None),
        (Some(e), _) => e,
        (None, None) => return Ok(None),
        (None, Some(m)) => {
            return Err(ApiError::bad(format!(
                "mode={} ranks by meaning, and this server has no embedding model: use \
                 mode=lexical, or install the model (citeseek model import) and restart serve",
                m.as_str()
            )))
        }
    };
    let model = &embedder.info().identity;
    if index
        .vectors
        .as_ref()
        .is_none_or(|v| &v.header.model != model)
    {
        return Ok(None);
    }
    let vector = embedder
        .embed_one(&crate::hybrid::embedding_query(text))
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("cannot embed the query: {e}"),
            )
        })?;
    Ok(Some(SemanticQuery {
        mode: mode.unwrap_or(RankMode::Hybrid),
        vector: vector.into(),
        model: model.clone(),
        weight: crate::hybrid::DENSE_WEIGHT,
    }))
}

async fn cite_handler(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let limits = state.limits;
    let parsed = (|| {
        let p = Params::parse(raw.as_deref(), &["claim", "limit", "style", "mode"])?;
        let mode = p.mode()?;
        Ok::<_, ApiError>((
            CiteRequest {
                claim: p.text("claim", limits.query_chars)?,
                limit: p.number("limit", 1, limits.max_limit, 3)?,
                style: p.style()?,
                semantic: None,
            },
            mode,
        ))
    })();
    let (mut req, mode) = match parsed {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let synonyms = Arc::clone(&state.synonyms);
    let embedder = state.served.embedder.clone();
    answer(&state, move |generation, corpus| {
        req.semantic = semantic_for(embedder.as_deref(), &generation.index, mode, &req.claim)?;
        let synonyms = synonyms.get()?;
        let result = cite::cite(&generation.index, &req, &synonyms)?;
        Ok(CiteOut::new(&result, corpus))
    })
    .await
}

async fn refs_handler(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    if let Err(e) = Params::parse(raw.as_deref(), &[]) {
        return e.into_response();
    }
    answer(&state, |generation, corpus| {
        let catalog = generation.catalog()?;
        Ok(RefsListOut::new(&catalog, corpus))
    })
    .await
}

/// The `{id}` of a path and the query's parameters.
fn with_id(
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    raw: Option<&str>,
    known: &[&str],
) -> Result<(String, Params), ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad(format!("bad id in the path: {e}")))?;
    Ok((id, Params::parse(raw, known)?))
}

async fn ref_handler(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (id, style) =
        match with_id(id, raw.as_deref(), &["style"]).and_then(|(id, p)| Ok((id, p.style()?))) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
    answer(&state, move |generation, corpus| {
        let catalog = generation.catalog()?;
        let reference = catalog.reference(&id)?;
        Ok(RefShowOut::new(&catalog, reference, style, corpus))
    })
    .await
}

async fn passage_handler(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(raw): RawQuery,
) -> Response {
    let id = match with_id(id, raw.as_deref(), &[]) {
        Ok((id, _)) => id,
        Err(e) => return e.into_response(),
    };
    answer(&state, move |generation, corpus| {
        let catalog = generation.catalog()?;
        catalog
            .passages
            .iter()
            .find(|p| p.passage.id == id)
            .map(|p| PassageOut::new(p, corpus))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!(
                        "no passage with id {id:?} in the index: ids come from search hits' \
                         passage_id (encode # as %23)"
                    ),
                )
            })
    })
    .await
}

async fn audit_handler(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    if let Err(e) = Params::parse(raw.as_deref(), &[]) {
        return e.into_response();
    }
    answer(&state, |generation, corpus| {
        let catalog = generation.catalog()?;
        crate::audit::check_auditable(&catalog, corpus)?;
        let report = crate::audit::audit(&catalog);
        Ok(AuditOut::new(&report, corpus))
    })
    .await
}

async fn health_handler(State(state): State<AppState>) -> Response {
    let generation = state.served.current();
    let index = &generation.index;
    json_body(&HealthOut {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        generation: index.marker.generation.clone(),
        passages: index.reader.searcher().num_docs(),
        references: index.marker.reference_ids.len(),
    })
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                HeaderName::from_static("referrer-policy"),
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn openapi_handler() -> Response {
    asset("application/json", OPENAPI)
}

async fn page_handler() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn js_handler() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn css_handler() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refs::RefsError;
    use tower::ServiceExt;

    #[test]
    fn a_request_over_the_time_limit_is_a_503_with_a_json_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = crate::config::Paths {
            corpus: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            index: dir.path().join("index"),
        };
        let index = crate::fresh::open_or_build(&paths).expect("index");
        let limits = Limits {
            timeout: Duration::from_millis(50),
            ..Limits::default()
        };
        let state = AppState {
            served: Arc::new(Served::new(&paths, index, None)),
            limits,
            turns: Arc::new(Semaphore::new(1)),
            synonyms: Arc::new(SynonymsCache::new(&paths.corpus)),
        };
        // A handler slower than the limit, behind the server's own layers.
        let slow = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        );
        let app = guarded(slow, state, None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (status, body) = rt.block_on(async {
            let req = axum::http::Request::get("/slow")
                .body(axum::body::Body::empty())
                .expect("request");
            let resp = app.oneshot(req).await.expect("response");
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .expect("body");
            (status, body)
        });
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        assert_eq!(body["error"]["code"], "timeout", "{body}");
    }

    #[test]
    fn params_reject_unknown_names_and_out_of_range_numbers() {
        let p = Params::parse(Some("q=heat+vs+ice&limit=7"), &["q", "limit"]).expect("parses");
        assert_eq!(p.text("q", 512).expect("q"), "heat vs ice");
        assert_eq!(p.number("limit", 1, 50, 10).expect("limit"), 7);
        assert!(p.number("limit", 1, 5, 10).is_err());
        assert!(Params::parse(Some("qq=x"), &["q"]).is_err());
        let long = format!("q={}", "é".repeat(513));
        let p = Params::parse(Some(&long), &["q"]).expect("parses");
        assert!(p.text("q", 512).is_err(), "513 characters is over 512");
        let ok = format!("q={}", "é".repeat(512));
        let p = Params::parse(Some(&ok), &["q"]).expect("parses");
        assert!(
            p.text("q", 512).is_ok(),
            "512 characters (1024 bytes) is fine"
        );
    }

    #[test]
    fn library_errors_keep_their_kind_as_the_code() {
        let e: anyhow::Error = search::QueryError::Empty.into();
        let api = ApiError::from_anyhow(&e);
        assert_eq!(
            (api.status, api.code.as_str()),
            (StatusCode::BAD_REQUEST, "query")
        );
        let e: anyhow::Error = RefsError::UnknownId {
            id: "x".into(),
            known: "y".into(),
        }
        .into();
        let api = ApiError::from_anyhow(&e);
        assert_eq!(
            (api.status, api.code.as_str()),
            (StatusCode::NOT_FOUND, "unknown_reference")
        );
    }
}
