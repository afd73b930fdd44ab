//! One patient's records through Flexpa's FHIR API (`{base}/fhir`, FHIR R4, JSON).
//!
//! [`Client::fhir`] gives a [`Fhir`] handle bound to one access token (a patient's, from the
//! consent flow or the Link exchange, or an application token from
//! [`Client::application_token`]). Every call is generic over the type it returns, so you bring
//! your own models; `serde_json::Value` reads anything.
//!
//! ```no_run
//! use flexpa_link::server::{fhir::Bundle, AccessToken, Client, SecretKey};
//! use serde_json::Value;
//!
//! # async fn run(client: Client, access_token: AccessToken) -> Result<(), flexpa_link::server::Error> {
//! let fhir = client.fhir(&access_token);
//! let patient: Value = fhir.read("Patient", "$PATIENT_ID").await?;
//! let page: Bundle = fhir.search("Coverage", &[("patient", "$PATIENT_ID")]).await?;
//! let claims: Vec<Value> = fhir
//!     .search_all("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")])
//!     .await?; // every page
//! let everything: Bundle = fhir.everything().await?; // Patient/$PATIENT_ID/$everything
//! # let _ = (patient, page, claims, everything); Ok(()) }
//! ```
//!
//! # What the client does for you
//!
//! - **Still syncing.** Right after a patient links, Flexpa is still fetching their data and
//!   answers `429` with an `OperationOutcome` whose issue code is `transient`. The client waits
//!   as told (`Retry-After`, else `X-Retry-After`) and tries again, up to the sync-wait budget
//!   ([`ClientBuilder::sync_wait`](super::ClientBuilder::sync_wait), 60 s by default, or
//!   [`Fhir::sync_wait`] per handle); then [`Error::StillSyncing`]. Rate limiting (`throttled`,
//!   or a 429 without an `OperationOutcome`) has its own budget, the client's 429 policy, and
//!   ends with [`Error::RateLimited`].
//! - **Sync failed.** `422` means Flexpa could not sync the patient's data:
//!   [`Error::SyncFailed`], never retried.
//! - **Paging.** [`Fhir::search_all`] and [`Fhir::search_pages`] follow
//!   `Bundle.link[relation=next]`. The access token only ever goes to the client's base-URL
//!   origin: a next link to another origin ends with [`Error::ForeignNextLink`], a next link
//!   already followed with [`Error::PagingLoop`], and more than
//!   [`ClientBuilder::max_pages`](super::ClientBuilder::max_pages) pages with
//!   [`Error::TooManyPages`].
//! - **Memory.** `serde_json::Value` builds a tree that holds about 13 times the JSON it came
//!   from (FHIR is many small objects) and costs about as much CPU as Node's `JSON.parse`
//!   (see BENCHMARKS.md, "Server: FHIR records"). For a patient's `$everything` or long
//!   searches, read [`RawResource`]s (each resource kept as its JSON text, about 1x, parsed
//!   when you need it) or your own typed models, or page with [`Fhir::search_pages`].
//! - **Size.** FHIR bodies have their own cap
//!   ([`ClientBuilder::max_fhir_response_bytes`](super::ClientBuilder::max_fhir_response_bytes),
//!   64 MiB by default, sized for real `$everything` bundles), enforced while the body streams
//!   in: a larger one ends with [`Error::ResponseTooLarge`] without being buffered.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::time::Duration;

use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::client::{Client, Outcome};
use super::error::{Error, Result};
use super::types::AccessToken;
use crate::credentials::InvalidValue;

/// The wait before retrying a "still syncing" answer that names no delay.
const DEFAULT_SYNC_RETRY: Duration = Duration::from_secs(2);
/// The shortest wait between "still syncing" retries, whatever the server says: a
/// `Retry-After: 0` must not turn the sync wait into a busy loop of requests.
const MIN_SYNC_RETRY: Duration = Duration::from_millis(250);

/// A patient's (or an application's) view of Flexpa's FHIR API: one access token, the client's
/// connection pool and limits. Cheap to clone. Made by [`Client::fhir`].
#[derive(Debug, Clone)]
pub struct Fhir {
    client: Client,
    token: AccessToken,
    sync_wait: Duration,
    max_pages: usize,
}

impl Client {
    /// The FHIR API as seen by `access_token`; see [`fhir`](super::fhir).
    pub fn fhir(&self, access_token: &AccessToken) -> Fhir {
        Fhir {
            client: self.clone(),
            token: access_token.clone(),
            sync_wait: self.sync_wait(),
            max_pages: self.max_pages(),
        }
    }
}

impl Fhir {
    /// How long this handle waits, in all, for a patient's data to finish syncing before a
    /// call ends with [`Error::StillSyncing`] (default: the client's, 60 s).
    /// `Duration::ZERO` never waits: a page can show "syncing" and poll.
    #[must_use]
    pub fn sync_wait(mut self, budget: Duration) -> Self {
        self.sync_wait = budget;
        self
    }

    /// The most pages [`search_all`](Self::search_all) and [`search_pages`](Self::search_pages)
    /// read before [`Error::TooManyPages`] (default: the client's, 1,000).
    #[must_use]
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages;
        self
    }

    /// Reads one resource: `GET /fhir/<type>/<id>`. `id` may be Flexpa's `$PATIENT_ID`
    /// wildcard, which Flexpa replaces with the token's patient.
    pub async fn read<T: DeserializeOwned>(&self, resource_type: &str, id: &str) -> Result<T> {
        let url = self.url(&[check_type(resource_type)?, check_id(id)?], &[])?;
        self.get(url).await
    }

    /// One page of a search: `GET /fhir/<type>?<params>`, a `searchset` [`Bundle`]. Repeat a
    /// key to send several values (`&[("code", "a"), ("code", "b")]`); values are URL-encoded.
    pub async fn search<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        params: &[(&str, &str)],
    ) -> Result<Bundle<T>> {
        let url = self.url(&[check_type(resource_type)?], params)?;
        self.get_bundle(url).await
    }

    /// Every resource a search finds, reading page after page (see [`search_pages`](Self::search_pages)
    /// for the limits). Entries without a `resource` are skipped.
    pub async fn search_all<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>> {
        let mut pages = self.search_pages::<T>(resource_type, params);
        let mut all = Vec::new();
        while let Some(page) = pages.next().await? {
            all.extend(page.into_resources());
        }
        Ok(all)
    }

    /// The pages of a search, one at a time, as they are needed: the streaming form of
    /// [`search_all`](Self::search_all), for results too large to hold at once.
    ///
    /// ```no_run
    /// # async fn run(fhir: flexpa_link::server::fhir::Fhir) -> Result<(), flexpa_link::server::Error> {
    /// let mut pages = fhir.search_pages::<serde_json::Value>("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")]);
    /// while let Some(page) = pages.next().await? {
    ///     for claim in page.resources() { /* ... */ let _ = claim; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search_pages<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        params: &[(&str, &str)],
    ) -> Pages<T> {
        let first = check_type(resource_type).and_then(|t| self.url(&[t], params));
        Pages {
            fhir: self.clone(),
            state: match first {
                Ok(url) => PagesState::Next(url),
                Err(e) => PagesState::Failed(e),
            },
            seen: HashSet::new(),
            read: 0,
            _resource: PhantomData,
        }
    }

    /// The patient's whole record in one (unpaginated, possibly large) Bundle:
    /// `GET /fhir/Patient/$PATIENT_ID/$everything`.
    pub async fn everything<T: DeserializeOwned>(&self) -> Result<Bundle<T>> {
        let url = self.url(&["Patient", "$PATIENT_ID", "$everything"], &[])?;
        self.get_bundle(url).await
    }

    /// What the patient's source supports: `GET /fhir/metadata`, a `CapabilityStatement`.
    pub async fn capability_statement<T: DeserializeOwned>(&self) -> Result<T> {
        let url = self.url(&["metadata"], &[])?;
        self.get(url).await
    }

    fn url(&self, segments: &[&str], params: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.client.fhir_base().clone();
        url.path_segments_mut()
            .map_err(|()| Error::InvalidInput(InvalidValue::new("FHIR path", "no base path")))?
            .pop_if_empty()
            .extend(segments);
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        Ok(url)
    }

    async fn get_bundle<T: DeserializeOwned>(&self, url: Url) -> Result<Bundle<T>> {
        let bundle: Bundle<T> = self.get(url).await?;
        bundle.check()?;
        Ok(bundle)
    }

    /// One GET, waiting out "still syncing" answers within the sync-wait budget.
    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let start = Instant::now();
        loop {
            match self.client.fhir_get(&url, &self.token).await? {
                Outcome::Done(value) => return Ok(value),
                Outcome::Syncing { retry_after } => {
                    let waited = start.elapsed();
                    let wait = retry_after
                        .unwrap_or(DEFAULT_SYNC_RETRY)
                        .max(MIN_SYNC_RETRY);
                    if waited.saturating_add(wait) > self.sync_wait {
                        return Err(Error::StillSyncing {
                            retry_after,
                            waited,
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// The pages of a search, read one by one with [`next`](Self::next); made by
/// [`Fhir::search_pages`].
#[derive(Debug)]
#[must_use = "pages are read only when you call `.next().await`"]
pub struct Pages<T> {
    fhir: Fhir,
    state: PagesState,
    seen: HashSet<Url>,
    read: usize,
    _resource: PhantomData<fn() -> T>,
}

#[derive(Debug)]
enum PagesState {
    Next(Url),
    Failed(Error),
    Done,
}

impl<T: DeserializeOwned> Pages<T> {
    /// The next page, or `None` after the last one. After an error, the pages end (`None`).
    pub async fn next(&mut self) -> Result<Option<Bundle<T>>> {
        let url = match std::mem::replace(&mut self.state, PagesState::Done) {
            PagesState::Next(url) => url,
            PagesState::Failed(e) => return Err(e),
            PagesState::Done => return Ok(None),
        };
        if self.read >= self.fhir.max_pages {
            return Err(Error::TooManyPages {
                limit: self.fhir.max_pages,
            });
        }
        self.seen.insert(url.clone());
        let page: Bundle<T> = self.fhir.get_bundle(url).await?;
        self.read += 1;
        if let Some(link) = page.next_link() {
            self.state = match self.follow(link) {
                Ok(next) => PagesState::Next(next),
                Err(e) => PagesState::Failed(e),
            };
        }
        Ok(Some(page))
    }

    /// How many pages have been read so far.
    pub fn pages_read(&self) -> usize {
        self.read
    }

    /// Checks a next link before the access token goes there.
    fn follow(&self, link: &str) -> Result<Url> {
        let base = self.fhir.client.fhir_base();
        let next = base.join(link).map_err(|_| Error::InvalidResponse {
            status: reqwest::StatusCode::OK,
            reason: "the Bundle's next link is not a valid URL".to_owned(),
        })?;
        if next.origin() != base.origin() {
            return Err(Error::ForeignNextLink {
                origin: next.origin().ascii_serialization(),
            });
        }
        if self.seen.contains(&next) {
            return Err(Error::PagingLoop { page: self.read });
        }
        Ok(next)
    }
}

/// A FHIR `Bundle`: a search result page or `$everything`. Unknown fields are ignored and
/// missing lists are empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: DeserializeOwned"))]
#[non_exhaustive]
pub struct Bundle<T = serde_json::Value> {
    /// Always `"Bundle"` in a Bundle; checked when one is read.
    #[serde(default = "bundle_name")]
    pub resource_type: String,
    /// `searchset` for searches and `$everything`.
    #[serde(rename = "type", default)]
    pub bundle_type: Option<String>,
    /// How many resources match the search in all, when the server says.
    #[serde(default)]
    pub total: Option<u64>,
    /// Paging links (`self`, `next`, ...).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub link: Vec<BundleLink>,
    /// The resources.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub entry: Vec<BundleEntry<T>>,
}

/// A resource kept as the JSON text it arrived in: checked to be valid JSON, not parsed into a
/// tree. Reading a large Bundle as `Bundle<RawResource>` costs about one copy of the body, and
/// a tenth of the CPU of `Bundle<Value>` (BENCHMARKS.md, "Server: FHIR records"); parse the
/// resources you need with [`parse`](Self::parse).
///
/// ```
/// use flexpa_link::server::fhir::{Bundle, RawResource};
/// let bundle: Bundle<RawResource> = serde_json::from_str(
///     r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Coverage","id":"c1","status":"active"}}]}"#,
/// )?;
/// let coverage = bundle.resources().next().unwrap();
/// assert_eq!(coverage.resource_type().as_deref(), Some("Coverage"));
/// let full: serde_json::Value = coverage.parse()?;
/// assert_eq!(full["status"], "active");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawResource(Box<serde_json::value::RawValue>);

impl RawResource {
    /// The resource's JSON text, as it arrived.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// Parses the resource into your type (or `serde_json::Value`).
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }

    /// The `resourceType` (`ExplanationOfBenefit`, ...), read without parsing the rest.
    pub fn resource_type(&self) -> Option<String> {
        self.header().resource_type
    }

    /// The resource's `id`, read without parsing the rest.
    pub fn id(&self) -> Option<String> {
        self.header().id
    }

    fn header(&self) -> Header {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl PartialEq for RawResource {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

/// The two fields [`RawResource`] reads on its own; the rest is skipped, not built.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    resource_type: Option<String>,
    id: Option<String>,
}

fn bundle_name() -> String {
    "Bundle".to_owned()
}

/// One `Bundle.link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BundleLink {
    /// `self`, `next`, `previous`, ...
    #[serde(default)]
    pub relation: String,
    /// The URL, absolute or relative to the FHIR base.
    #[serde(default)]
    pub url: String,
}

/// One `Bundle.entry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: DeserializeOwned"))]
#[non_exhaustive]
pub struct BundleEntry<T = serde_json::Value> {
    /// The resource's absolute URL, when the server gives it.
    #[serde(default)]
    pub full_url: Option<String>,
    /// The resource itself.
    #[serde(default = "Option::default")]
    pub resource: Option<T>,
}

impl<T> Bundle<T> {
    /// The resources of the entries, in order (entries without one are skipped).
    pub fn resources(&self) -> impl Iterator<Item = &T> {
        self.entry.iter().filter_map(|e| e.resource.as_ref())
    }

    /// The resources, by value.
    pub fn into_resources(self) -> impl Iterator<Item = T> {
        self.entry.into_iter().filter_map(|e| e.resource)
    }

    /// The `next` paging link, if there is another page.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next" && !l.url.is_empty())
            .map(|l| l.url.as_str())
    }

    fn check(&self) -> Result<()> {
        if self.resource_type == "Bundle" {
            return Ok(());
        }
        Err(Error::InvalidResponse {
            status: reqwest::StatusCode::OK,
            reason: "expected a FHIR Bundle, got another resource type".to_owned(),
        })
    }
}

fn null_as_empty<'de, D, T>(d: D) -> core::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A FHIR resource type: letters and digits, starting with a letter (`ExplanationOfBenefit`).
fn check_type(resource_type: &str) -> Result<&str> {
    let ok = resource_type.len() <= 64
        && resource_type.starts_with(|c: char| c.is_ascii_alphabetic())
        && resource_type.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(resource_type)
    } else {
        Err(Error::InvalidInput(InvalidValue::new(
            "FHIR resource type",
            "it must be letters and digits, such as `ExplanationOfBenefit`",
        )))
    }
}

/// A FHIR id (`[A-Za-z0-9-.]{1,64}`) or a Flexpa wildcard such as `$PATIENT_ID`.
fn check_id(id: &str) -> Result<&str> {
    let body = id.strip_prefix('$').unwrap_or(id);
    let ok = !body.is_empty()
        && body.len() <= 64
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(id)
    } else {
        Err(Error::InvalidInput(InvalidValue::new(
            "FHIR id",
            "it must be 1 to 64 letters, digits, `-` or `.` (or `$PATIENT_ID`)",
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_types() {
        assert!(check_type("ExplanationOfBenefit").is_ok());
        for bad in ["", "Patient/1", "../x", "1abc", "Pa tient"] {
            assert!(check_type(bad).is_err(), "{bad}");
        }
        for good in ["$PATIENT_ID", "abc-123.4", "a"] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        for bad in ["", "$", "a/b", "..%2f", "x?y", &"a".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundles_tolerate_missing_and_null_lists() {
        let b: Bundle = serde_json::from_str(r#"{"resourceType":"Bundle","entry":null}"#).unwrap();
        assert!(b.entry.is_empty() && b.link.is_empty() && b.next_link().is_none());
        let b: Bundle = serde_json::from_str(
            r#"{"resourceType":"Bundle","type":"searchset","total":3,
                "link":[{"relation":"self","url":"a"},{"relation":"next","url":"b"}],
                "entry":[{"resource":{"id":"1"}},{"fullUrl":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(b.next_link(), Some("b"));
        assert_eq!(b.resources().count(), 1);
        assert_eq!(b.total, Some(3));
        let not: Bundle = serde_json::from_str(r#"{"resourceType":"Patient"}"#).unwrap();
        assert!(not.check().is_err());
    }
}
