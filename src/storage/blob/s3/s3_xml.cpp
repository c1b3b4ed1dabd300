#include "storage/blob/s3/s3_xml.hpp"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <charconv>
#include <sstream>

#include "storage/blob/s3/s3_time.hpp"

namespace berth::storage::blob::s3 {

namespace pt = boost::property_tree;

namespace {

// The document's root element, when `xml` parses and its root is `name`.
// property_tree's parser throws; this is the edge where that stops.
std::optional<pt::ptree> parse_root(std::string_view xml, std::string_view name) {
  pt::ptree doc;
  try {
    std::istringstream in{std::string(xml)};
    pt::read_xml(in, doc, pt::xml_parser::no_comments);
  } catch (const pt::ptree_error&) {
    return std::nullopt;
  }
  for (auto& [tag, child] : doc) {
    if (tag == name) return std::move(child);
  }
  return std::nullopt;
}

std::string text(const pt::ptree& node, const char* name) {
  return node.get<std::string>(name, "");
}

std::unexpected<Error> corrupt(std::string_view what, std::string_view xml) {
  return fail(ErrorCode::kCorruption, "S3 answered a malformed " + std::string(what),
              std::string(xml.substr(0, 200)));
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<S3ErrorDocument> parse_error_document(std::string_view xml) {
  auto root = parse_root(xml, "Error");
  if (!root) return std::nullopt;
  return S3ErrorDocument{text(*root, "Code"), text(*root, "Message")};
}

Result<ListObjectsPage> parse_list_objects_v2(std::string_view xml) {
  auto root = parse_root(xml, "ListBucketResult");
  if (!root) return corrupt("object listing", xml);
  ListObjectsPage page;
  page.truncated = text(*root, "IsTruncated") == "true";
  page.next_continuation_token = text(*root, "NextContinuationToken");
  for (auto& [tag, child] : *root) {
    if (tag == "Contents") {
      ListedObject object;
      object.key = text(child, "Key");
      auto size = parse_u64(text(child, "Size"));
      auto modified = parse_iso8601_ms(text(child, "LastModified"));
      if (object.key.empty() || !size || !modified) return corrupt("object listing entry", xml);
      object.size = *size;
      object.last_modified_ms = *modified;
      page.objects.push_back(std::move(object));
    } else if (tag == "CommonPrefixes") {
      page.common_prefixes.push_back(text(child, "Prefix"));
    }
  }
  if (page.truncated && page.next_continuation_token.empty()) {
    return corrupt("truncated listing without a continuation token", xml);
  }
  return page;
}

Result<std::string> parse_initiate_multipart_upload(std::string_view xml) {
  auto root = parse_root(xml, "InitiateMultipartUploadResult");
  if (!root) return corrupt("multipart upload initiation", xml);
  std::string id = text(*root, "UploadId");
  if (id.empty()) return corrupt("multipart upload initiation (no UploadId)", xml);
  return id;
}

Result<ListUploadsPage> parse_list_multipart_uploads(std::string_view xml) {
  auto root = parse_root(xml, "ListMultipartUploadsResult");
  if (!root) return corrupt("multipart upload listing", xml);
  ListUploadsPage page;
  page.truncated = text(*root, "IsTruncated") == "true";
  page.next_key_marker = text(*root, "NextKeyMarker");
  page.next_upload_id_marker = text(*root, "NextUploadIdMarker");
  for (auto& [tag, child] : *root) {
    if (tag == "Upload") page.uploads.push_back({text(child, "Key"), text(child, "UploadId")});
  }
  return page;
}

Result<std::string> parse_copy_result(std::string_view xml) {
  if (auto error = parse_error_document(xml)) {
    return fail(ErrorCode::kUnavailable, "S3 failed the copy: " + error->code, error->message);
  }
  auto root = parse_root(xml, "CopyObjectResult");
  if (!root) root = parse_root(xml, "CopyPartResult");
  if (!root) return corrupt("copy result", xml);
  return text(*root, "ETag");
}

std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts) {
  std::string out = "<CompleteMultipartUpload>";
  for (const CompletedPart& part : parts) {
    out += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" +
           escape(part.etag) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string create_bucket_body(std::string_view region) {
  if (region.empty() || region == "us-east-1") return {};
  return "<CreateBucketConfiguration><LocationConstraint>" + escape(region) +
         "</LocationConstraint></CreateBucketConfiguration>";
}

}  // namespace berth::storage::blob::s3
