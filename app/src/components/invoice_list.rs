//! The account page's invoices (with Stripe's hosted page and PDF) and one-time purchases.

use leptos::prelude::*;

use crate::billing_views::{InvoiceView, PurchaseView};

/// The invoices, newest first; nothing when there are none.
#[component]
pub fn InvoiceList(invoices: Vec<InvoiceView>) -> impl IntoView {
    (!invoices.is_empty()).then(|| {
        view! {
            <h3>"Invoices"</h3>
            <div class="table-scroll">
            <table class="table" aria-label="Your invoices">
                <thead>
                    <tr><th scope="col">"Date"</th><th scope="col">"Number"</th>
                        <th scope="col">"Amount"</th><th scope="col">"Status"</th><th scope="col"></th></tr>
                </thead>
                <tbody>
                    {invoices.into_iter().map(|invoice| view! {
                        <tr>
                            <td>{invoice.date}</td>
                            <td>{invoice.number}</td>
                            <td>{invoice.amount}{invoice.adjustments.map(|words| view! { <span class="muted">" (" {words} ")"</span> })}</td>
                            <td>{invoice.status}</td>
                            <td>
                                {invoice.hosted_url.map(|href| view! {
                                    <a href=href rel="noopener" target="_blank">"View"</a>
                                })}
                                " "
                                {invoice.pdf_url.map(|href| view! {
                                    <a href=href rel="noopener" target="_blank">"PDF"</a>
                                })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        }
    })
}

/// One-time purchases, newest first; nothing when there are none.
#[component]
pub fn PurchaseList(purchases: Vec<PurchaseView>) -> impl IntoView {
    (!purchases.is_empty()).then(|| {
        view! {
            <h3>"Purchases"</h3>
            <ul class="purchases" aria-label="Your purchases">
                {purchases.into_iter().map(|p| view! {
                    <li>
                        <strong>{p.description}</strong> " — " {p.amount} " on " {p.date}
                        {p.pending.then_some(" (payment processing)")}
                        {p.failed.then_some(" (payment failed — nothing was charged)")}
                        {p.afterwards.map(|afterwards| format!(" ({afterwards})"))}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
