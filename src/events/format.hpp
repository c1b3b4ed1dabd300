// The bodies berth's webhooks carry, one per event and endpoint format:
//
// CloudEvents 1.0, structured mode (Content-Type
// application/cloudevents+json):
//   {"specversion":"1.0","id":"<uuid>","source":"<public URL>",
//    "type":"io.berth.image.pushed","subject":"team/app:v1",
//    "time":"2026-12-05T08:00:00.000Z","datacontenttype":"application/json",
//    "data":{"registry":"123456789012:us-east-1","account":"123456789012",
//            "region":"us-east-1","repository":"team/app","digest":"sha256:…",
//            "tag":"v1","mediaType":"…","cause":"api"}}
//   io.berth.tag.moved adds "previousDigest": where the tag pointed before.
//
// EventBridge's "ECR Image Action" (Content-Type application/json), as ECR
// sends it for pushes and deletes; repository events have no such shape and
// are not sent in it (nullopt), nor is tag.moved (ECR's retag is a PUSH,
// and the push that moved the tag sent one already):
//   {"version":"0","id":"<uuid>","detail-type":"ECR Image Action",
//    "source":"aws.ecr","account":"…","time":"2026-12-05T08:00:00Z",
//    "region":"…","resources":[],"detail":{"result":"SUCCESS",
//    "repository-name":"team/app","image-digest":"sha256:…",
//    "action-type":"PUSH","image-tag":"v1"}}
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "events/config.hpp"
#include "registry/events.hpp"

namespace berth::events {

std::string cloudevent_json(const registry::RegistryEvent& event, const std::string& id,
                            const std::string& source);

std::optional<std::string> ecr_event_json(const registry::RegistryEvent& event,
                                          const std::string& id);

// The body for the endpoint's format, or nullopt when it has none for the
// event.
std::optional<std::string> event_body(const registry::RegistryEvent& event, BodyFormat format,
                                      const std::string& id, const std::string& source);

// Content-Type of the format's bodies.
const char* content_type(BodyFormat format);

// The X-Berth-Signature-256 header value: "sha256=" + hex HMAC-SHA256 of the
// exact body under the endpoint's secret (receivers compare in constant
// time).
std::string signature(const std::string& secret, const std::string& body);

}  // namespace berth::events
