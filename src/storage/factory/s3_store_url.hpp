// The s3:// store URL, read into the S3 store's configuration:
//
//   s3://<bucket>[/<prefix>]?endpoint=http://host:port&region=us-east-1
//        &path-style=true&ca-bundle=/etc/ssl/my-ca.pem
//
// - endpoint: http[s]://host[:port] of an S3-compatible store; omitted:
//   AWS (https://s3.<region>.amazonaws.com).
// - region: the SigV4 signing region (default us-east-1).
// - path-style: true addresses http://host/bucket/key, false (the
//   default) http://bucket.host/key.
// - ca-bundle: a PEM file of CAs to trust for an https endpoint.
// Credentials are not part of the URL (see s3/s3_credentials.hpp).
//
// Thread-safety: pure function.
#pragma once

#include "storage/blob/s3/s3_config.hpp"
#include "storage/factory/store_url.hpp"

namespace berth::storage::factory {

// kInvalidArgument naming what is wrong: a bad bucket name, endpoint,
// region or flag value, an unknown parameter.
Result<blob::s3::S3Config> s3_config_from_url(const StoreUrl& url);

}  // namespace berth::storage::factory
