//! End-to-end user stories: each starts the real `convene` binary on 127.0.0.1 and drives it as
//! an administrator and a visitor would, through the command line and HTTP.

mod support;

mod audit;
mod bad_input;
mod discovery;
mod event_core;
mod fan_out;
mod federation;
mod flags;
mod groups;
mod incident;
mod limits;
mod organising;
mod remote_groups;
mod search;
mod slow_clients;
mod start_refusals;
