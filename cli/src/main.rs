//! hsign: sign and verify container images and release artifacts, compatible with cosign.
//!
//! This binary parses arguments and presents results; everything else is in `hsign-core` and `hsign-keys`.
//! Errors are printed here (never returned from `main`), and the exit status is decided in `exit.rs`.

mod args;
mod commands;
mod error;
mod exit;
mod fsio;
mod output;
mod password;
mod progress;

use clap::Parser as _;

use args::{Cli, Command};
use error::CliError;
use exit::Exit;
use output::Printer;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with status 0, usage errors to stderr with status 2.
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                Exit::Usage as i32
            } else {
                Exit::Success as i32
            });
        }
    };
    let out = Printer {
        format: cli.global.output,
        quiet: cli.global.quiet,
    };
    let status = match run(&cli.command, out) {
        Ok(()) => Exit::Success,
        Err(e) => {
            out.error(&e);
            e.exit
        }
    };
    std::process::exit(status as i32);
}

fn run(command: &Command, out: Printer) -> Result<(), CliError> {
    match command {
        Command::GenerateKeyPair(a) => commands::keys::generate(a, out),
        Command::ImportKeyPair(a) => commands::keys::import(a, out),
        Command::PublicKey(a) => commands::keys::public_key(a, out),
        Command::SignBlob(a) => commands::sign_blob::run(a, out),
        Command::VerifyBlob(a) => commands::verify_blob::run(a, out),
        Command::VerifyBlobAttestation(a) => commands::verify_blob::run_attestation(a, out),
        Command::Sign(a) => commands::image::sign(a, out),
        Command::Verify(a) => commands::image::verify(a, out),
        Command::Tree(a) => commands::image::tree(a, out),
        Command::Download(a) => commands::image::download(a, out),
        Command::Triangulate(a) => commands::image::triangulate(a, out),
        Command::Attest(a) => commands::attest::attest(a, out),
        Command::VerifyAttestation(a) => commands::attest::verify_attestation(a, out),
        Command::AttestBlob(a) => commands::attest::attest_blob(a, out),
        Command::Attach(args::AttachCommand::Sbom(a)) => commands::attest::attach_sbom(a, out),
        Command::Rekor(c) => commands::rekor::run(c, out),
        Command::Initialize(a) => commands::initialize::run(a, out),
        Command::Copy(a) => commands::transfer::copy(a, out),
        Command::Save(a) => commands::transfer::save(a, out),
        Command::Load(a) => commands::transfer::load(a, out),
    }
}
