//! The S3-compatible backend (Garage, MinIO, AWS S3…), through the
//! `object_store` crate. An S3 PUT replaces an object whole, so readers
//! never see a torn object; checksums inside the objects still guard every
//! read. Requests are made on the runtime that awaits them.

use super::{Entry, ObjectRead, Store};
use crate::cache::atomic::Durability;
use crate::secret::Secret;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, PutPayload, RetryConfig};
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Longest one store request may take, retries included: an outage is
/// reported after this, not after the client's default minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a streamed read or a file upload may take in all: its bytes
/// flow at the pace of the listener who reads them. A store that does not
/// answer is still found out within [`REQUEST_TIMEOUT`] (the connection).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where the bucket is and how to sign requests to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStoreSettings {
    /// `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    pub url: String,
    /// The S3 endpoint (`http://127.0.0.1:3900`); unset: AWS's for the region.
    pub endpoint: Option<String>,
    pub region: String,
    /// Unset: the `AWS_*` environment, as AWS's own tools read it.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// Whether a plain-HTTP endpoint is allowed (a store on loopback).
    pub allow_http: bool,
}

/// The S3 backend: one client for short requests, one for transfers.
#[derive(Debug)]
pub(crate) struct S3Store {
    store: Arc<dyn ObjectStore>,
    transfers: Arc<dyn ObjectStore>,
}

fn store_error(error: object_store::Error) -> io::Error {
    io::Error::other(format!("object store: {error}"))
}

fn not_found_is_none<T>(result: Result<T, object_store::Error>) -> io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(store_error(error)),
    }
}

impl S3Store {
    pub(crate) fn open(settings: &ObjectStoreSettings) -> io::Result<Self> {
        Ok(Self { store: client(settings, REQUEST_TIMEOUT)?, transfers: client(settings, TRANSFER_TIMEOUT)? })
    }
}

/// A client of the bucket whose requests may take `timeout` in all.
fn client(settings: &ObjectStoreSettings, timeout: Duration) -> io::Result<Arc<dyn ObjectStore>> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("store `{}`: {why}", settings.url));
    let rest = settings.url.strip_prefix("s3://").ok_or_else(|| invalid("it must start with s3://"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(invalid("it names no bucket"));
    }
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&settings.region)
        // Client options replace the builder's: plain HTTP is allowed in them.
        .with_client_options(
            ClientOptions::new()
                .with_timeout(timeout)
                .with_connect_timeout(REQUEST_TIMEOUT)
                .with_allow_http(settings.allow_http),
        )
        .with_retry(RetryConfig { max_retries: 2, retry_timeout: REQUEST_TIMEOUT, backoff: BackoffConfig::default() });
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
    }
    if let Some(key) = &settings.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &settings.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose());
    }
    let s3 = builder.build().map_err(store_error)?;
    let prefix = prefix.trim_matches('/');
    Ok(if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) })
}

#[async_trait::async_trait]
impl Store for S3Store {
    async fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        let found = async { self.store.get(&ObjectPath::from(key)).await?.bytes().await };
        not_found_is_none(found.await)
    }

    async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<Option<ObjectRead>> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let Some(found) = not_found_is_none(self.transfers.get_opts(&ObjectPath::from(key), options).await)? else {
            return Ok(None);
        };
        let size = found.meta.size;
        Ok(Some(ObjectRead { size, bytes: found.into_stream().map_err(store_error).boxed() }))
    }

    async fn put(&self, key: &str, bytes: Bytes, _durability: Durability) -> io::Result<()> {
        self.store.put(&ObjectPath::from(key), PutPayload::from(bytes)).await.map(drop).map_err(store_error)
    }

    async fn size(&self, key: &str) -> io::Result<Option<u64>> {
        Ok(not_found_is_none(self.store.head(&ObjectPath::from(key)).await)?.map(|meta| meta.size))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        not_found_is_none(self.store.delete(&ObjectPath::from(key)).await).map(drop)
    }

    async fn list(&self, prefix: &str) -> io::Result<Vec<Entry>> {
        let listed = self.store.list(Some(&ObjectPath::from(prefix))).try_collect::<Vec<_>>().await;
        Ok(listed
            .map_err(store_error)?
            .into_iter()
            .map(|meta| Entry { key: meta.location.to_string(), size: meta.size, used: meta.last_modified.into() })
            .collect())
    }

    /// Objects are expired by the bucket's own rules, not by use.
    async fn touch(&self, _key: &str) {}

    /// Uploaded in parts as the file is read (one PUT if it is small).
    async fn put_file(&self, key: &str, file: &Path) -> io::Result<()> {
        let mut file = tokio::fs::File::open(file).await?;
        let mut upload = BufWriter::new(Arc::clone(&self.transfers), ObjectPath::from(key));
        if let Err(error) = tokio::io::copy(&mut file, &mut upload).await {
            let _ = upload.abort().await;
            return Err(error);
        }
        upload.shutdown().await
    }

    async fn check(&self) -> io::Result<()> {
        self.size("health").await.map(drop)
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: String, allow_http: bool) -> ObjectStoreSettings {
        ObjectStoreSettings {
            url: "s3://herald".into(),
            endpoint: Some(endpoint),
            region: "garage".into(),
            access_key_id: Some("GK0".into()),
            secret_access_key: Some("0".into()),
            allow_http,
        }
    }

    /// Client options replace the builder's, so `allow_http` has to be set
    /// in them: set on the builder only, it was lost and every request to a
    /// plain-HTTP store was refused before it was sent.
    #[tokio::test]
    async fn regression_the_plain_http_option_was_lost_in_the_client_options() {
        for allow_http in [true, false] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            let store = S3Store::open(&settings(endpoint, allow_http)).unwrap();
            let asked = tokio::spawn(async move { store.size("health").await });
            let reached = tokio::select! {
                accepted = listener.accept() => accepted.is_ok(),
                _ = tokio::time::sleep(Duration::from_secs(3)) => false,
            };
            assert_eq!(reached, allow_http, "allow_http = {allow_http}");
            drop(listener);
            let answer = tokio::time::timeout(Duration::from_secs(20), asked).await.expect("answered").unwrap();
            assert!(answer.is_err(), "nothing real answered");
        }
    }
}
