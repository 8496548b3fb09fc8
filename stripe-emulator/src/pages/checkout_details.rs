//! The buyer's details on the hosted Checkout page: the labelled billing address and tax ID
//! fields a session asks for, and what was typed in them, checked before anything is paid.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::api::checkout as api;
use crate::Emulator;

/// The billing address fields (when the session collects an address or taxes by it) and the
/// tax ID fields (with `tax_id_collection`), each labelled.
pub(super) fn fields(session: &Value) -> String {
    let mut fields = String::new();
    if session["billing_address_collection"] == "required"
        || session["automatic_tax"]["enabled"] == true
    {
        fields.push_str("<fieldset><legend>Billing address</legend>");
        for (name, label, autocomplete, required) in [
            ("address_line1", "Address", "address-line1", true),
            ("address_city", "City", "address-level2", false),
            ("address_postal_code", "Postal code", "postal-code", false),
            ("address_state", "State or region", "address-level1", false),
            (
                "address_country",
                "Country (two letters, e.g. US, DE)",
                "country",
                true,
            ),
        ] {
            let required = if required { " required" } else { "" };
            fields.push_str(&format!("<label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" autocomplete=\"{autocomplete}\"{required}>"));
        }
        fields.push_str("</fieldset>");
    }
    if session["tax_id_collection"]["enabled"] == true {
        fields.push_str("<fieldset><legend>Tax ID (purchasing as a business)</legend><label for=\"tax_id_type\">Tax ID type</label><select id=\"tax_id_type\" name=\"tax_id_type\"><option value=\"eu_vat\">EU VAT</option><option value=\"gb_vat\">UK VAT</option><option value=\"us_ein\">US EIN</option><option value=\"au_abn\">Australian ABN</option></select><label for=\"tax_id_value\">Tax ID</label><input id=\"tax_id_value\" name=\"tax_id_value\" autocomplete=\"off\"><label for=\"business_name\">Business name</label><input id=\"business_name\" name=\"business_name\" autocomplete=\"organization\"></fieldset>");
    }
    fields
}

/// The address, tax ID and business name typed, as far as the session collects them.
pub(super) fn from_form(
    emulator: &Emulator,
    id: &str,
    form: &HashMap<String, String>,
) -> Result<api::BuyerDetails, String> {
    let (address_wanted, tax_id_wanted) = emulator.read(|world| {
        world
            .find("checkout.session", id)
            .map_or((false, false), |session| {
                (
                    session["billing_address_collection"] == "required"
                        || session["automatic_tax"]["enabled"] == true,
                    session["tax_id_collection"]["enabled"] == true,
                )
            })
    });
    let address = if address_wanted {
        Some(address(form)?)
    } else {
        None
    };
    let value = form
        .get("tax_id_value")
        .map(|value| value.trim())
        .unwrap_or_default();
    let tax_id = (tax_id_wanted && !value.is_empty()).then(|| {
        let kind = form
            .get("tax_id_type")
            .map(String::as_str)
            .unwrap_or("eu_vat");
        (kind.to_owned(), value.to_owned())
    });
    if let Some((kind, value)) = &tax_id {
        crate::api::tax_ids::checked(kind, value, "tax_id").map_err(|error| error.message)?;
    }
    let business_name = form
        .get("business_name")
        .map(|name| name.trim().to_owned())
        .filter(|name| tax_id_wanted && !name.is_empty());
    Ok(api::BuyerDetails {
        address,
        tax_id,
        business_name,
    })
}

/// The address typed on the hosted page, or what is missing from it.
fn address(form: &HashMap<String, String>) -> Result<Value, String> {
    let field = |name: &str| {
        form.get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let country = field("address_country")
        .ok_or("Enter your country.")?
        .to_uppercase();
    let line1 = field("address_line1").ok_or("Enter your address.")?;
    let postal_code = field("address_postal_code");
    if country == "US" && postal_code.is_none() {
        return Err("Enter your ZIP code.".to_owned());
    }
    Ok(json!({
        "city": field("address_city"), "country": country, "line1": line1, "line2": null,
        "postal_code": postal_code, "state": field("address_state").map(|state| state.to_uppercase()),
    }))
}
