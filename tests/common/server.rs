//! A real Herald server on a loopback port, with real workers.

use herald::pipeline::Pipeline;
use herald::settings::Settings;
use herald::web::AppState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestServer {
    pub addr: SocketAddr,
    pub pipeline: Arc<Pipeline>,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on `cache_dir` with `workers` workers.
    pub async fn start(cache_dir: PathBuf, workers: usize) -> Self {
        Self::start_with(Settings { workers, cache_dir, ..Settings::default() }).await
    }

    pub async fn start_with(settings: Settings) -> Self {
        let pipeline = Arc::new(Pipeline::start(settings, super::herald_binary()).await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(Arc::clone(&pipeline));
        let task = tokio::spawn(herald::web::run(listener, state, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { addr, pipeline, client, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Graceful stop; waits for the server task.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// `POST /v1/speech` with just a text.
    pub async fn speak(&self, text: &str) -> reqwest::Response {
        self.client.post(self.url("/v1/speech")).json(&serde_json::json!({ "text": text })).send().await.unwrap()
    }

    pub fn jobs_completed(&self) -> u64 {
        self.pipeline.speaker.pool().stats().jobs_completed.load(std::sync::atomic::Ordering::SeqCst)
    }
}
