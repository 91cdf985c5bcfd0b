//! Events through a pull point (ONVIF Core §9.1, what works behind NAT and firewalls):
//! CreatePullPointSubscription, PullMessages (long-poll with a timeout and a message
//! limit) and Unsubscribe. Messages come back as topic, time and the Source and Data
//! SimpleItems, display-safe.
//! Must not: interpret topics (the alerts work does), or loop: a caller pulls again.

use std::time::Duration;

use crate::client::Client;
use crate::error::{ErrorKind, OnvifError};
use crate::sanitize::{clean_uri, display_safe};
use crate::wsse::escape;
use crate::xml::Element;

const EVENTS_NS: &str = "http://www.onvif.org/ver10/events/wsdl";

/// A pull-point subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullPoint {
    /// Where PullMessages and Unsubscribe go.
    pub address: String,
    /// When the device ends it unless renewed (as the device wrote it).
    pub termination_time: Option<String>,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    /// The topic, e.g. `tns1:RuleEngine/CellMotionDetector/Motion`.
    pub topic: String,
    /// The message's `UtcTime` attribute.
    pub utc_time: Option<String>,
    /// `Initialized`, `Changed` or `Deleted`.
    pub property_operation: Option<String>,
    /// The Source SimpleItems (name, value).
    pub source: Vec<(String, String)>,
    /// The Data SimpleItems (name, value).
    pub data: Vec<(String, String)>,
}

fn simple_items(e: Option<&Element>) -> Vec<(String, String)> {
    e.map(|e| {
        e.children_named("SimpleItem")
            .map(|i| {
                (
                    display_safe(i.attribute("Name").unwrap_or_default()),
                    display_safe(i.attribute("Value").unwrap_or_default()),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Parses a PullMessages response.
pub fn parse_notifications(response: &Element) -> Vec<Notification> {
    response
        .children_named("NotificationMessage")
        .map(|n| {
            let message = n.path(&["Message", "Message"]);
            Notification {
                topic: n.text_at(&["Topic"]).map(display_safe).unwrap_or_default(),
                utc_time: message
                    .and_then(|m| m.attribute("UtcTime"))
                    .map(display_safe),
                property_operation: message
                    .and_then(|m| m.attribute("PropertyOperation"))
                    .map(display_safe),
                source: simple_items(message.and_then(|m| m.child("Source"))),
                data: simple_items(message.and_then(|m| m.child("Data"))),
            }
        })
        .collect()
}

fn addressing(action: &str, to: &str) -> String {
    format!(
        "<wsa:Action>{}</wsa:Action><wsa:To>{}</wsa:To>",
        escape(action),
        escape(to)
    )
}

impl Client {
    /// CreatePullPointSubscription, ended by the device after `termination` unless
    /// pulled from or renewed.
    pub fn create_pull_point_subscription(
        &self,
        termination: Duration,
    ) -> Result<PullPoint, OnvifError> {
        let call = "CreatePullPointSubscription";
        let url = self
            .services
            .events
            .as_deref()
            .ok_or_else(|| self.error(call, ErrorKind::NoService { service: "Events" }))?;
        let action = format!("{EVENTS_NS}/EventPortType/CreatePullPointSubscriptionRequest");
        let r = self.call_with(
            url,
            call,
            &action,
            &format!(
                "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT{}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>",
                termination.as_secs().max(1)
            ),
            true,
            &addressing(&action, url),
            Duration::ZERO,
        )?;
        let raw = r
            .text_at(&["SubscriptionReference", "Address"])
            .ok_or_else(|| {
                self.error(
                    call,
                    ErrorKind::Missing {
                        what: "SubscriptionReference/Address",
                    },
                )
            })?;
        let address = clean_uri(raw, &["http", "https"]).map_err(|e| {
            self.error(
                call,
                ErrorKind::Invalid {
                    what: "subscription address",
                    detail: e.to_string(),
                },
            )
        })?;
        Ok(PullPoint {
            address,
            termination_time: r.text_at(&["TerminationTime"]).map(display_safe),
        })
    }

    /// PullMessages: waits up to `timeout` on the device for at most `limit` messages.
    pub fn pull_messages(
        &self,
        pull_point: &PullPoint,
        timeout: Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, OnvifError> {
        let action = format!("{EVENTS_NS}/PullPointSubscription/PullMessagesRequest");
        let r = self.call_with(
            &pull_point.address,
            "PullMessages",
            &action,
            &format!(
                "<tev:PullMessages><tev:Timeout>PT{}S</tev:Timeout><tev:MessageLimit>{}</tev:MessageLimit></tev:PullMessages>",
                timeout.as_secs().max(1),
                limit.max(1)
            ),
            true,
            &addressing(&action, &pull_point.address),
            timeout,
        )?;
        Ok(parse_notifications(&r))
    }

    /// Unsubscribe: ends the subscription now.
    pub fn unsubscribe(&self, pull_point: &PullPoint) -> Result<(), OnvifError> {
        let action = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest";
        self.call_with(
            &pull_point.address,
            "Unsubscribe",
            action,
            "<wsnt:Unsubscribe/>",
            true,
            &addressing(action, &pull_point.address),
            Duration::ZERO,
        )?;
        Ok(())
    }
}
