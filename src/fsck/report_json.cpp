#include "fsck/report_json.hpp"

#include <boost/json.hpp>

namespace berth::fsck {

namespace json = boost::json;

json::value to_json(const Finding& f) {
  json::object o;
  o["kind"] = to_string(f.kind);
  o["severity"] = to_string(f.severity());
  o["registry"] = f.registry;
  o["repository"] = f.repository;
  o["digest"] = f.digest.str();
  o["subject"] = f.subject;
  o["size"] = f.size;
  o["message"] = f.message;
  return o;
}

json::value to_json(const CheckReport& report) {
  const CheckStats& s = report.stats;
  json::object stats;
  stats["blobs"] = s.blobs;
  stats["blob_bytes"] = s.blob_bytes;
  stats["bytes_hashed"] = s.bytes_hashed;
  stats["registries"] = s.registries;
  stats["repositories"] = s.repositories;
  stats["manifests"] = s.manifests;
  stats["tags"] = s.tags;
  stats["referenced_blobs"] = s.referenced_blobs;
  stats["uploads"] = s.uploads;

  json::object counts;
  counts["corruption"] = report.count(Severity::kCorruption);
  counts["warning"] = report.count(Severity::kWarning);
  counts["info"] = report.count(Severity::kInfo);

  json::object kinds;
  for (const auto& [kind, n] : report.counts_by_kind()) kinds[kind] = n;

  json::array findings;
  for (const auto& f : report.findings) findings.push_back(to_json(f));

  json::object o;
  o["clean"] = !report.corrupt();
  o["stats"] = std::move(stats);
  o["counts"] = std::move(counts);
  o["kinds"] = std::move(kinds);
  o["findings"] = std::move(findings);
  return o;
}

json::value to_json(const RepairReport& report) {
  json::array out;
  for (const auto& a : report.actions) {
    json::object o;
    o["outcome"] = to_string(a.outcome);
    o["action"] = a.action;
    o["detail"] = a.detail;
    o["kind"] = to_string(a.finding.kind);
    o["digest"] = a.finding.digest.str();
    o["subject"] = a.finding.subject;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace berth::fsck
