// Where the S3 store's credentials come from: a key file given with
// --blob-store-credentials (one "ACCESS_KEY_ID SECRET_ACCESS_KEY" line;
// blank lines and '#' comments ignored), else the standard environment
// variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
// Errors name the file or variable, never a secret.
//
// Thread-safety: reentrant (reads the environment).
#pragma once

#include <filesystem>
#include <string_view>

#include "storage/blob/s3/s3_config.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::s3 {

// The key of `text` (a key file's contents); kInvalidArgument naming
// `source` and the line when it is not exactly one two-field line.
Result<S3Credential> parse_s3_credential_file(std::string_view text, std::string_view source);

// kInvalidArgument when the file cannot be read or parsed.
Result<S3Credential> load_s3_credential_file(const std::filesystem::path& path);

// kInvalidArgument when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is unset.
Result<S3Credential> s3_credential_from_environment();

}  // namespace berth::storage::blob::s3
