// ShapeModel: the ECR service contract loaded from the compiled-in model
// (see ecr_model_data.hpp), used to check every request before a handler
// sees it and to shape every response after. One description drives all
// operations, so constraints are never re-typed by hand in handlers.
//
// Checks, per the model: member types, required members, string length
// (min/max), patterns (whole-value match), enums, list sizes, integer and
// long ranges, blobs (base64) and their decoded size, maps. Unknown members
// are ignored, as AWS services do.
//
// Thread-safety: immutable after construction; the instance() singleton is
// built on first use and safe to share.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace re2 {
class RE2;
}

namespace berth::api::ecr {

enum class ShapeType { kStructure, kString, kList, kMap, kInteger, kLong, kBoolean, kDouble,
                       kTimestamp, kBlob };

struct Shape {
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<std::string> required;
  std::map<std::string, std::string, std::less<>> members;  // member -> shape name
  std::string member, key, value;  // list member / map key and value shapes
  std::optional<double> min, max;
  std::string pattern_text;
  // RE2 matches in time linear in the input: the model's patterns include
  // one that backtracking engines take exponential time on.
  std::shared_ptr<const re2::RE2> pattern;
  std::vector<std::string> enum_values;
  bool is_exception = false;
  bool is_fault = false;  // a server-side error (HTTP 500)
};

struct Operation {
  std::string name;
  std::string input;   // "" when the operation takes no input
  std::string output;  // "" when it returns nothing
  std::vector<std::string> errors;
};

class ShapeModel {
 public:
  static const ShapeModel& instance();

  std::string_view target_prefix() const { return target_prefix_; }
  // nullptr for names the model does not have.
  const Operation* find_operation(std::string_view name) const;
  const Shape* find_shape(std::string_view name) const;
  const std::map<std::string, Operation, std::less<>>& operations() const { return operations_; }
  const std::map<std::string, Shape, std::less<>>& shapes() const { return shapes_; }

  // Checks `input` against `shape`. On failure: kInvalidArgument with an
  // AWS-style message "Invalid parameter at '<path>' failed to satisfy
  // constraint: '<why>'" and detail "InvalidParameterException", or detail
  // "SerializationException" when a member has the wrong JSON type.
  Status validate(std::string_view shape, const boost::json::value& input) const;

  // Drops, recursively, members the output shape does not declare and null
  // values, so responses carry exactly the modelled members.
  void shape_output(std::string_view shape, boost::json::value& output) const;

  // Builds from the JSON text of a model (the compiled-in one by default).
  explicit ShapeModel(std::string_view model_json);

 private:
  Status validate_value(const Shape& shape, const boost::json::value& v,
                        const std::string& path) const;

  std::string target_prefix_;
  std::map<std::string, Shape, std::less<>> shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
};

}  // namespace berth::api::ecr
