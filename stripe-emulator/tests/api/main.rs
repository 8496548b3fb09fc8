//! The emulator driven over HTTP, in-process on a random port: lifecycle over clock advances,
//! idempotency, pagination, errors, webhook delivery, the hosted pages, invoices made by hand,
//! plans and portal configurations, pending updates, Connect, seat quantities, subscription
//! schedules, tax, usage-based billing (meters, metered subscriptions, tiers, the v2 stream,
//! credits).

mod balance;
mod connect;
mod credits;
mod discounts;
mod disputes;
mod errors;
mod faults;
mod files;
mod helpers;
mod idempotency;
mod invoicing;
mod latency;
mod lifecycle;
mod meter_stream;
mod metered_subscriptions;
mod metered_tiers;
mod meters;
mod pages;
mod pagination;
mod payment_intents;
mod payment_methods;
mod payment_pages;
mod payouts;
mod pending_updates;
mod persistence;
mod plans;
mod portal;
mod portal_configurations;
mod quantities;
mod refunds;
mod schedules;
mod setup_intents;
mod shapes;
mod sources;
mod tax;
mod topups;
mod webhooks;
