//! What a metered price charges for a usage: per unit (`unit_amount_decimal` × usage), or by tiers
//! (`billing_scheme=tiered`) — `graduated`, each tier's units at its own unit amount plus its flat
//! amount for each tier the usage reaches, or `volume`, every unit at the tier the whole usage
//! falls in plus that tier's flat amount. No usage charges nothing. A tiered price's tiers are kept
//! beside it and shown only with `expand[]=tiers`, as Stripe shows them.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::form::{bracketed, Params};
use crate::world::World;

/// The tiers of `tiers[i][…]` under `path`, checked: each with a unit or flat amount, `up_to`
/// ascending and the last one `inf`.
pub fn parse_tiers(params: &Params, path: &str) -> Result<Vec<Value>, ApiError> {
    let entries = params.array(path);
    if entries.is_empty() {
        return Err(ApiError::missing(path));
    }
    let mut tiers = Vec::new();
    let mut floor = 0;
    for (index, entry) in entries.iter().enumerate() {
        let param = |field: &str| bracketed(&format!("{path}.{index}.{field}"));
        let last = index + 1 == entries.len();
        let up_to =
            match entry["up_to"].as_str() {
                Some("inf") if last => None,
                Some(raw) => match raw.parse::<i64>() {
                    Ok(up_to) if !last && up_to > floor => Some(up_to),
                    _ => return Err(ApiError::invalid(
                        "Each tier's `up_to` must be greater than the previous tier's, and only \
                         the last tier's `up_to` must be `inf`.",
                        Some(&param("up_to")),
                    )),
                },
                None => return Err(ApiError::missing(&format!("{path}.{index}.up_to"))),
            };
        floor = up_to.unwrap_or(floor);
        let unit = decimal(entry, "unit_amount", &param("unit_amount_decimal"))?;
        let flat = decimal(entry, "flat_amount", &param("flat_amount_decimal"))?;
        if unit.is_none() && flat.is_none() {
            return Err(ApiError::invalid(
                "Each tier needs a `unit_amount` or a `flat_amount`.",
                Some(&param("unit_amount")),
            ));
        }
        tiers.push(json!({
            "flat_amount": flat.map(|amount| amount.round() as i64),
            "flat_amount_decimal": flat.map(|amount| amount.to_string()),
            "unit_amount": unit.map(|amount| amount.round() as i64),
            "unit_amount_decimal": unit.map(|amount| amount.to_string()),
            "up_to": up_to,
        }));
    }
    Ok(tiers)
}

/// An amount given as `field` (integer) or `field_decimal`, in minor units.
fn decimal(entry: &Value, field: &str, decimal_param: &str) -> Result<Option<f64>, ApiError> {
    if let Some(raw) = entry[field].as_str() {
        return Ok(raw.parse::<i64>().ok().map(|amount| amount as f64));
    }
    match entry[format!("{field}_decimal")].as_str() {
        Some(raw) => raw
            .parse::<f64>()
            .map(Some)
            .map_err(|_| ApiError::invalid("Invalid decimal", Some(decimal_param))),
        None => Ok(None),
    }
}

/// What `price` charges for `usage`, in minor units.
pub fn amount(world: &World, price: &Value, usage: f64) -> i64 {
    if usage <= 0.0 {
        return 0;
    }
    let Some(tiers) = price["id"]
        .as_str()
        .and_then(|id| world.price_tiers.get(id))
        .filter(|_| price["billing_scheme"] == "tiered")
    else {
        let unit: f64 = price["unit_amount_decimal"]
            .as_str()
            .and_then(|unit| unit.parse().ok())
            .unwrap_or(0.0);
        return (unit * usage).round() as i64;
    };
    let rate = |tier: &Value, field: &str| -> f64 {
        tier[field]
            .as_str()
            .and_then(|amount| amount.parse().ok())
            .unwrap_or(0.0)
    };
    let total = if price["tiers_mode"] == "volume" {
        let tier = tiers
            .iter()
            .find(|tier| tier["up_to"].as_f64().is_none_or(|up_to| usage <= up_to))
            .or(tiers.last());
        tier.map(|tier| {
            usage * rate(tier, "unit_amount_decimal") + rate(tier, "flat_amount_decimal")
        })
        .unwrap_or(0.0)
    } else {
        let mut floor = 0.0;
        let mut total = 0.0;
        for tier in tiers {
            if usage <= floor {
                break;
            }
            let ceiling = tier["up_to"].as_f64().unwrap_or(f64::INFINITY);
            let units = usage.min(ceiling) - floor;
            total += units * rate(tier, "unit_amount_decimal") + rate(tier, "flat_amount_decimal");
            floor = ceiling;
        }
        total
    };
    total.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world_with(mode: &str) -> (World, Value) {
        let mut world = World::new(crate::ids::Ids::seeded(1), Default::default());
        let tiers = vec![
            json!({ "up_to": 100, "unit_amount_decimal": "10", "flat_amount_decimal": null }),
            json!({ "up_to": null, "unit_amount_decimal": "5", "flat_amount_decimal": "200" }),
        ];
        world.price_tiers.insert("price_t".to_owned(), tiers);
        let price = json!({ "id": "price_t", "billing_scheme": "tiered", "tiers_mode": mode });
        (world, price)
    }

    #[test]
    fn graduated_tiers_charge_each_tiers_units_at_its_own_rate() {
        let (world, price) = world_with("graduated");
        assert_eq!(amount(&world, &price, 50.0), 500);
        assert_eq!(amount(&world, &price, 150.0), 100 * 10 + 50 * 5 + 200);
        assert_eq!(amount(&world, &price, 0.0), 0);
    }

    #[test]
    fn volume_tiers_charge_every_unit_at_the_tier_the_total_reaches() {
        let (world, price) = world_with("volume");
        assert_eq!(amount(&world, &price, 100.0), 1000);
        assert_eq!(amount(&world, &price, 150.0), 150 * 5 + 200);
    }
}
