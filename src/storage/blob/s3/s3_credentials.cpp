#include "storage/blob/s3/s3_credentials.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace berth::storage::blob::s3 {

namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t\r", at);
    if (start == std::string_view::npos) break;
    const auto end = line.find_first_of(" \t\r", start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    at = end == std::string_view::npos ? line.size() : end;
  }
  return out;
}

}  // namespace

Result<S3Credential> parse_s3_credential_file(std::string_view text, std::string_view source) {
  std::optional<S3Credential> found;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    auto parts = fields(line);
    if (parts.empty() || parts[0].starts_with('#')) continue;
    if (parts.size() != 2 || found) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string(source) + " line " + std::to_string(number) +
                      ": expected one 'ACCESS_KEY_ID SECRET_ACCESS_KEY' line");
    }
    found = S3Credential{std::string(parts[0]), std::string(parts[1]), std::nullopt};
  }
  if (!found) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(source) + " holds no 'ACCESS_KEY_ID SECRET_ACCESS_KEY' line");
  }
  return *found;
}

Result<S3Credential> load_s3_credential_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kInvalidArgument, "cannot read S3 credentials file " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_s3_credential_file(text.str(), "S3 credentials file " + path.string());
}

Result<S3Credential> s3_credential_from_environment() {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (key == nullptr || *key == '\0' || secret == nullptr || *secret == '\0') {
    return fail(ErrorCode::kInvalidArgument,
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give "
                "--blob-store-credentials FILE");
  }
  S3Credential credential{key, secret, std::nullopt};
  if (const char* token = std::getenv("AWS_SESSION_TOKEN"); token != nullptr && *token != '\0') {
    credential.session_token = token;
  }
  return credential;
}

}  // namespace berth::storage::blob::s3
