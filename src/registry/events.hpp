// RegistryEvent: what the core tells an event sink after a change it made
// has committed: an image pushed (once per tag it got, or once untagged),
// a tag moved by a push from one manifest to another, a tag deleted, an
// image deleted (by an API or by a lifecycle policy), a
// repository created (by CreateRepository or by the push that first names
// it) or deleted. The sink (src/events, webhooks) must not block: it is
// called on the thread that made the change, after the metadata
// transaction, and an event is never sent for a change that failed.
//
// Thread-safety: plain values; the sink is called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace berth::registry {

struct RegistryEvent {
  enum class Kind {
    kImagePushed,        // digest; tag when pushed with one
    kTagMoved,           // tag, digest it now points at, previous_digest; after kImagePushed
    kTagDeleted,         // tag, the digest it pointed at unknown ("")
    kImageDeleted,       // digest (and every tag it had)
    kRepositoryCreated,  // by CreateRepository, or by the push that created it (once)
    kRepositoryDeleted,
  };
  enum class Cause { kApi, kLifecycle };

  Kind kind = Kind::kImagePushed;
  Cause cause = Cause::kApi;
  std::string registry;    // "<account>:<region>"
  std::string repository;
  std::string digest;      // "" for repository and tag events
  std::string tag;         // "" when none
  std::string media_type;  // of the manifest pushed; "" otherwise
  std::int64_t time_ms = 0;
  std::string previous_digest;  // kTagMoved: where the tag pointed before; "" otherwise
};

using EventSink = std::function<void(const RegistryEvent&)>;

const char* to_string(RegistryEvent::Kind kind);  // "image.pushed", "tag.deleted", ...

}  // namespace berth::registry
