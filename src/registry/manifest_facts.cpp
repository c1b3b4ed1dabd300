#include "registry/manifest_facts.hpp"

#include <boost/json.hpp>

#include "oci/media_types.hpp"

namespace berth::registry {

namespace meta = storage::meta;

ManifestFacts manifest_facts(const oci::ParsedManifest& parsed, std::string_view content,
                             const oci::Digest& digest) {
  ManifestFacts facts;
  auto& r = facts.record;
  r.digest = digest;
  r.media_type = parsed.media_type;
  r.artifact_type = parsed.artifact_type;
  r.size = content.size();
  r.content = std::string(content);
  r.image_size = content.size();
  if (parsed.subject) r.subject = parsed.subject->digest;
  if (parsed.kind == oci::ManifestKind::kImage) {
    if (parsed.config) {
      r.config_media_type = parsed.config->media_type;
      r.image_size += parsed.config->size;
      facts.references.push_back({parsed.config->digest, meta::ReferenceKind::kBlob,
                                  parsed.config->size});
    }
    for (const auto& layer : parsed.layers) {
      r.image_size += layer.size;
      facts.references.push_back({layer.digest, meta::ReferenceKind::kBlob, layer.size,
                                  !oci::media_types::is_non_distributable_layer(layer.media_type)});
    }
  } else {
    for (const auto& child : parsed.manifests) {
      r.image_size += child.size;
      facts.references.push_back({child.digest, meta::ReferenceKind::kManifest, child.size});
    }
  }
  // The same blob may appear twice (e.g. an empty layer); the store keeps one row.
  std::sort(facts.references.begin(), facts.references.end(),
            [](const auto& a, const auto& b) { return a.digest < b.digest; });
  facts.references.erase(std::unique(facts.references.begin(), facts.references.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.digest == b.digest && a.kind == b.kind;
                                     }),
                         facts.references.end());
  return facts;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*': linear in practice.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool tags_immutable(std::string_view settings_json, std::string_view tag) {
  if (tag.empty()) return false;
  boost::system::error_code ec;
  auto value = boost::json::parse(settings_json, ec);
  if (ec || !value.is_object()) return false;
  const auto& obj = value.as_object();
  auto* mode_value = obj.if_contains("imageTagMutability");
  if (!mode_value || !mode_value->is_string()) return false;
  std::string_view mode = mode_value->as_string();
  bool matches_filter = false;
  if (auto* filters = obj.if_contains("imageTagMutabilityExclusionFilters");
      filters && filters->is_array()) {
    for (const auto& f : filters->as_array()) {
      if (!f.is_object()) continue;
      auto* pattern = f.as_object().if_contains("filter");
      if (pattern && pattern->is_string() && wildcard_match(pattern->as_string(), tag)) {
        matches_filter = true;
        break;
      }
    }
  }
  if (mode == "IMMUTABLE") return true;
  if (mode == "IMMUTABLE_WITH_EXCLUSION") return !matches_filter;
  if (mode == "MUTABLE_WITH_EXCLUSION") return matches_filter;
  return false;
}

}  // namespace berth::registry
