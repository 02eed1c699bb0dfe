//! Herald as a Speech Dispatcher output module, the voice of screen
//! readers on Linux (Orca) and of browsers' `speechSynthesis`.
//!
//! Speech Dispatcher starts the module (`sd_herald CONFIG`, installed by
//! [`install`]; or `herald speechd module CONFIG`) and talks to it on
//! standard input and output ([`protocol`]). The module answers `INIT` as
//! soon as the fast voices run ([`engines`]), lists every Herald voice,
//! speaks each message through the application service — sentence by
//! sentence, each in a voice of its language — and sends the audio to the
//! server chunk by chunk as it is made ([`speaking`]); it never opens a
//! sound device. It only translates the protocol: it plans and speaks
//! through the [`Pipeline`](crate::pipeline::Pipeline) like every other
//! front door.

mod engines;
pub(crate) mod install;
mod logging;
mod marks;
mod message;
mod output;
mod params;
mod protocol;
mod session;
mod speaking;
mod voices;

use crate::settings::Settings;
use logging::Logging;
use output::Output;
use protocol::{reply, Line};
use std::path::Path;
use std::process::ExitCode;

/// The program name Speech Dispatcher starts: Herald runs as the module
/// when called by it.
pub(crate) const MODULE_PROGRAM: &str = "sd_herald";

/// Runs the module with the settings in `config` until the server says
/// `QUIT` or goes away. Exit codes as the reference modules': 1 when the
/// module cannot start, 3 when the server does not begin with `INIT`.
pub(crate) fn run(config: Option<&Path>) -> ExitCode {
    let logging = Logging::install();
    let settings = match Settings::load(config, serde_json::json!({})) {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(%error, "cannot read the module's settings");
            return ExitCode::from(1);
        }
    };
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => {
            tracing::error!(%error, "cannot find Herald's own program for its workers");
            return ExitCode::from(1);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime starts");
    let code = runtime.block_on(async move {
        let mut input = tokio::io::BufReader::new(tokio::io::stdin());
        let output = Output::start(std::io::stdout());
        match protocol::read_line(&mut input).await {
            Ok(Some(Line::Text(line))) if line == "INIT" => {}
            _ => {
                tracing::error!("Speech Dispatcher did not begin with INIT");
                return 3;
            }
        }
        let speechd = settings.speechd.clone();
        let engines = match engines::Engines::start(settings, program).await {
            Ok(engines) => engines,
            Err(error) => {
                output.send(&format!("399-{}\n399 ERR CANT INIT MODULE", protocol::one_line(&error.to_string())));
                output.flush();
                return 1;
            }
        };
        output.send(reply::INIT_OK);
        let session = session::Session::new(engines, output.clone(), speechd, logging);
        if let Err(error) = session.serve(&mut input).await {
            tracing::warn!(%error, "the connection to Speech Dispatcher broke");
        }
        output.flush();
        0
    });
    // Workers are told to stop as their pools drop; no need to wait for
    // blocking reads of standard input.
    runtime.shutdown_background();
    ExitCode::from(code)
}
