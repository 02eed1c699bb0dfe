//! The S3-compatible backend (Garage, MinIO, AWS S3…), through the
//! `object_store` crate. An S3 PUT replaces an object whole, so readers
//! never see a torn object; checksums inside the objects still guard every
//! read. Requests run on a small runtime of the backend's own, so the
//! blocking [`Store`] methods can wait for them from any thread.

use super::{Entry, Store};
use crate::cache::atomic::{self, Durability};
use crate::secret::Secret;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig};
use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Longest one store request may take, retries included: an outage is
/// reported after this, not after the client's default minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

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

/// The S3 backend.
#[derive(Debug)]
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    /// Taken on drop, to be shut down without blocking the dropping thread.
    runtime: Option<tokio::runtime::Runtime>,
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
    pub fn open(settings: &ObjectStoreSettings) -> io::Result<Self> {
        let invalid =
            |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("store `{}`: {why}", settings.url));
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
                    .with_timeout(REQUEST_TIMEOUT)
                    .with_connect_timeout(REQUEST_TIMEOUT)
                    .with_allow_http(settings.allow_http),
            )
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: REQUEST_TIMEOUT,
                backoff: BackoffConfig::default(),
            });
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
        let store: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("herald-store")
            .enable_all()
            .build()?;
        Ok(Self { store, runtime: Some(runtime) })
    }

    /// Runs a request on the backend's runtime and waits for it. On an
    /// async worker thread the wait is announced to tokio, which moves the
    /// thread's other tasks elsewhere meanwhile.
    fn wait<T: Send + 'static>(&self, request: impl Future<Output = T> + Send + 'static) -> io::Result<T> {
        let task = self.runtime.as_ref().expect("runtime until dropped").spawn(request);
        let join = || futures::executor::block_on(task).map_err(io::Error::other);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(join)
            }
            _ => join(),
        }
    }

    fn request<T, F>(&self, key: &str, call: impl FnOnce(Arc<dyn ObjectStore>, ObjectPath) -> F) -> io::Result<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.wait(call(Arc::clone(&self.store), ObjectPath::from(key)))
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Store for S3Store {
    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let result = self.request(key, |store, path| async move {
            let found = store.get(&path).await?;
            found.bytes().await
        })?;
        Ok(not_found_is_none(result)?.map(|bytes| bytes.to_vec()))
    }

    fn put(&self, key: &str, bytes: &[u8], _durability: Durability) -> io::Result<()> {
        let payload = PutPayload::from(bytes.to_vec());
        self.request(key, |store, path| async move { store.put(&path, payload).await })?.map(drop).map_err(store_error)
    }

    fn size(&self, key: &str) -> io::Result<Option<u64>> {
        let result = self.request(key, |store, path| async move { store.head(&path).await })?;
        Ok(not_found_is_none(result)?.map(|meta| meta.size))
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        let result = self.request(key, |store, path| async move { store.delete(&path).await })?;
        not_found_is_none(result).map(drop)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<Entry>> {
        let listed =
            self.request(prefix, |store, path| async move { store.list(Some(&path)).try_collect::<Vec<_>>().await })?;
        Ok(listed
            .map_err(store_error)?
            .into_iter()
            .map(|meta| Entry { key: meta.location.to_string(), size: meta.size, used: meta.last_modified.into() })
            .collect())
    }

    /// Objects are expired by the bucket's own rules, not by use.
    fn touch(&self, _key: &str) {}

    fn put_file(&self, key: &str, file: &Path) -> io::Result<()> {
        self.put(key, &std::fs::read(file)?, Durability::Synced)
    }

    fn get_file(&self, key: &str, into: &Path) -> io::Result<bool> {
        match self.get(key)? {
            Some(bytes) => atomic::write(into, &bytes, Durability::Rebuildable).map(|()| true),
            None => Ok(false),
        }
    }

    fn check(&self) -> io::Result<()> {
        self.size("health").map(drop)
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
    #[test]
    fn regression_the_plain_http_option_was_lost_in_the_client_options() {
        for allow_http in [true, false] {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            listener.set_nonblocking(true).unwrap();
            let store = S3Store::open(&settings(endpoint, allow_http)).unwrap();
            let asked = std::thread::spawn(move || store.size("health"));
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            let mut reached = false;
            while std::time::Instant::now() < deadline && !asked.is_finished() {
                if let Ok((connection, _)) = listener.accept() {
                    reached = true;
                    drop(connection);
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            assert_eq!(reached, allow_http, "allow_http = {allow_http}");
            drop(listener);
            let answer = asked.join().unwrap();
            assert!(answer.is_err(), "nothing real answered");
        }
    }
}
