//! The money after the sale: the ledger of balance transactions and the Balance
//! (`ledger`), refunds (`refunds`), disputes decided by Stripe's test evidence (`disputes`),
//! payouts to the platform's bank account (`payouts`) and top-ups from it (`topups`), connected
//! accounts' automatic payouts (`schedule`) and transfers to them (`transfers`). Time moves it on, for the platform and each
//! connected account: charges and top-ups become available, payouts are made and arrive
//! ([`run_due`]).

pub mod disputes;
pub mod ledger;
pub mod payouts;
pub mod refunds;
pub mod schedule;
pub mod topups;
pub mod transfers;

use crate::world::World;

/// Runs what fell due on the emulator's clock for the account acted as: top-ups succeed, pending
/// funds become available, a connected account's scheduled payout is made, payouts arrive.
pub fn run_due(world: &mut World) {
    topups::run_due(world);
    ledger::run_due(world);
    schedule::run_due(world);
    payouts::run_due(world);
}

/// A charge was just captured (its events emitted): money available at once (0077) is
/// announced with `balance.available`, and the dispute its test card causes is opened.
pub fn captured(world: &mut World, charge: &str) {
    let available_now = world
        .find("charge", charge)
        .and_then(|charge| charge["balance_transaction"].as_str())
        .and_then(|transaction| world.find("balance_transaction", transaction))
        .is_some_and(|transaction| transaction["status"] == "available");
    if available_now {
        let balance = ledger::balance(world);
        world.emit("balance.available", &balance, None);
    }
    disputes::open_if_disputed(world, charge);
}
