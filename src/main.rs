//! `pcnsim`: parse, run, map the error to an exit code.
use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = pcnsim::cli::Cli::parse();
    match pcnsim::cli::main_with(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
