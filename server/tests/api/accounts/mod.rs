//! Accounts through the real router: forms posted as a browser without JavaScript posts them.

mod confirmation;
mod kept_pages;
mod links;
mod lockout;
mod profile;
mod recovery;
mod session_ids;
mod sessions;
pub mod signin;
mod signup;
