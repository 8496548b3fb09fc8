//! Accounts through the real router: forms posted as a browser without JavaScript posts them.

mod links;
mod profile;
mod recovery;
mod sessions;
mod signin;
mod signup;
