// The query form of the ECR API, berth's extension for curl users:
//
//   GET /?Action=BatchGetImage&repositoryName=app&imageIds.member.1.imageTag=v1
//
// Real ECR only speaks AWS JSON 1.1 (ecr-semantics.md 1.4); this form turns
// the query string into the JSON input of the operation, which then takes
// exactly the POST path (validation, handler, JSON answer). The conversion
// is driven by the operation's input shape in the model:
//
//   - scalars are strings on the wire and become the member's type (string,
//     integer/long, boolean "true"/"false", double, timestamp in epoch
//     seconds, blob as its base64 text);
//   - structure members nest with dots: `filter.tagStatus=TAGGED`;
//   - lists, AWS-query style: `imageIds.member.1.imageTag=v1` (the index
//     orders the items; `member.` may be left out: `imageIds.1.imageTag`),
//     or one JSON-encoded value `imageIds=[{"imageTag":"v1"}]`; a list of
//     scalars also takes repeated keys `layerDigests=a&layerDigests=b`;
//   - maps: `name.entry.1.key=k&name.entry.1.value=v`, or one JSON object;
//   - any structure, list or map member may be given as one JSON value.
//
// Member names match exactly, else case-insensitively (AWS Query spells
// them `RepositoryName`). Action, Version and every X-Amz-* / X-Berth-*
// parameter (SigV4 presigning) are protocol plumbing, not input. Unknown
// members are ignored, as in the JSON form.
//
// Errors: kInvalidArgument with detail "SerializationException" when a
// value cannot be converted to its type (bad number, bad JSON) and
// "InvalidParameterException" when the parameters contradict each other or
// the shape (a scalar given twice, an index that is not a number); messages
// name the parameter.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/ecr/model/shape_model.hpp"
#include "util/result.hpp"

namespace berth::api::ecr {

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

// True for Action, Version, X-Amz-* and X-Berth-* (case-insensitive).
bool is_reserved_query_parameter(std::string_view name);

// The JSON input for `input_shape` ("" for an operation without input,
// which yields {}) built from decoded query parameters.
Result<boost::json::object> query_to_input(const QueryParameters& query, const ShapeModel& model,
                                           std::string_view input_shape);

}  // namespace berth::api::ecr
