// The ECR image and layer operations: the seed's three batch operations,
// the image lifecycle (PutImage, DescribeImages, ListImages) and the layer
// upload API. Each is an OperationHandler (operation.hpp) named as the API
// names it; the protocol layer has validated `input` against the model
// before the call and shapes the returned object after it.
//
// All of them read and write the one Registry core, so what they report
// (sizes, push and pull times, media types) is the same whichever API,
// ECR or OCI /v2/, wrote the image. Their semantics and every choice made
// where ECR's documentation is silent are in docs/ecr-operations.md.
//
// Thread-safety: handlers may run concurrently; each runs its Registry
// calls on the context's blocking pool (http::offload).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <cstdint>

#include "api/ecr/operation.hpp"

namespace berth::api::ecr {

// batch_get_image.cpp
boost::asio::awaitable<EcrResult> BatchGetImage(EcrContext& ctx, const boost::json::object& input);
// batch_check_layer_availability.cpp
boost::asio::awaitable<EcrResult> BatchCheckLayerAvailability(EcrContext& ctx,
                                                              const boost::json::object& input);
// batch_delete_image.cpp
boost::asio::awaitable<EcrResult> BatchDeleteImage(EcrContext& ctx,
                                                   const boost::json::object& input);

// images.cpp
boost::asio::awaitable<EcrResult> PutImage(EcrContext& ctx, const boost::json::object& input);
boost::asio::awaitable<EcrResult> DescribeImages(EcrContext& ctx, const boost::json::object& input);
boost::asio::awaitable<EcrResult> ListImages(EcrContext& ctx, const boost::json::object& input);

// update_image_storage_class.cpp
boost::asio::awaitable<EcrResult> UpdateImageStorageClass(EcrContext& ctx,
                                                          const boost::json::object& input);

// layers.cpp
boost::asio::awaitable<EcrResult> InitiateLayerUpload(EcrContext& ctx,
                                                      const boost::json::object& input);
boost::asio::awaitable<EcrResult> UploadLayerPart(EcrContext& ctx,
                                                  const boost::json::object& input);
boost::asio::awaitable<EcrResult> CompleteLayerUpload(EcrContext& ctx,
                                                      const boost::json::object& input);
boost::asio::awaitable<EcrResult> GetDownloadUrlForLayer(EcrContext& ctx,
                                                         const boost::json::object& input);

// The part size InitiateLayerUpload announces (10 MiB). Parts of any size
// up to the model's 20 MiB are accepted.
inline constexpr std::int64_t kLayerPartSize = 10 * 1024 * 1024;
// Lifetime of a GetDownloadUrlForLayer URL.
inline constexpr std::int64_t kDownloadUrlTtlSeconds = 3600;

}  // namespace berth::api::ecr
