//! Components shared by several pages.

pub mod bar_chart;
pub mod billing_summary;
pub mod form;
pub mod invoice_list;
pub mod islands;
pub mod layout;
pub mod nav;
pub mod plan_card;
pub mod plan_manage;
pub mod time_travel;
pub mod usage_summary;
