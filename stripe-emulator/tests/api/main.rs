//! The emulator driven over HTTP, in-process on a random port: lifecycle over clock advances,
//! idempotency, pagination, errors, webhook delivery, the hosted pages.

mod errors;
mod faults;
mod helpers;
mod idempotency;
mod lifecycle;
mod pages;
mod pagination;
mod payment_intents;
mod payment_pages;
mod persistence;
mod portal;
mod setup_intents;
mod webhooks;
