//! Integration tests: the real router on a random port, each test with its own fresh database.

mod accounts;
mod assets;
mod authorization;
mod billing;
mod binary;
mod console;
mod go_live;
mod health;
mod helpers;
mod hostile;
mod jobs;
mod mail;
mod metrics;
mod organizations;
mod pages;
mod partners;
mod reliability;
mod route_access;
mod security;
mod usage;
