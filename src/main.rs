//! The `herald` binary: all logic lives in the library (`herald::cli`).

fn main() -> std::process::ExitCode {
    herald::cli::main()
}
