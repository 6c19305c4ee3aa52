//! End-to-end tests: each runs the `hsign` binary (and, for interop, real peer implementations) and checks
//! the real outcome: files written, exit status, what a peer accepts.

mod action;
mod attest;
mod blob;
mod faults;
mod gate;
mod image;
mod image_interop;
mod initialize;
mod interop;
mod keyless;
pub mod keys;
mod policy_schema;
mod python_interop;
mod registry_infra;
mod rekor;
mod timestamp;
mod tlog;
mod transfer;
