//! The deploy gate: one policy file says, per image pattern, who must have signed (keys, keyless identities,
//! "N of these M"), which attestations must exist and what they must say, whether tags are allowed, and which
//! images are exempt; [`Gate::check_image`] checks one image against it and reports every check.
//!
//! The format is documented in `docs/policy.md`, its JSON Schema in `schema/policy.schema.json`. The policy is
//! fully validated (globs, regexes, keys, predicate conditions) before any network request.

mod check;
pub mod glob;
pub mod policy;
pub mod report;

pub use check::Gate;
pub use glob::ImageGlob;
pub use policy::{DeployPolicy, DeployPolicyError};
pub use report::{Check, Failure, ImageReport};
