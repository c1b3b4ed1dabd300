#include "api/ecr/model/shape_model.hpp"

#include <re2/re2.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "api/ecr/model/ecr_model_data.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

ShapeType parse_type(std::string_view t) {
  if (t == "structure") return ShapeType::kStructure;
  if (t == "string") return ShapeType::kString;
  if (t == "list") return ShapeType::kList;
  if (t == "map") return ShapeType::kMap;
  if (t == "integer") return ShapeType::kInteger;
  if (t == "long") return ShapeType::kLong;
  if (t == "boolean") return ShapeType::kBoolean;
  if (t == "double") return ShapeType::kDouble;
  if (t == "timestamp") return ShapeType::kTimestamp;
  if (t == "blob") return ShapeType::kBlob;
  throw std::runtime_error("ECR model: unknown shape type " + std::string(t));
}

std::string model_text() {
  std::string text;
  for (const char* const* part = kEcrModelJsonParts; *part; ++part) text += *part;
  return text;
}

Status invalid(const std::string& path, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument,
              "Invalid parameter at '" + path + "' failed to satisfy constraint: '" + why + "'",
              "InvalidParameterException");
}

Status wrong_type(const std::string& path, std::string_view expected) {
  return fail(ErrorCode::kInvalidArgument,
              "Unexpected value type at '" + path + "': expected " + std::string(expected),
              "SerializationException");
}

std::string number_text(double d) {
  auto i = static_cast<long long>(d);
  return static_cast<double>(i) == d ? std::to_string(i) : std::to_string(d);
}

std::string join_path(const std::string& base, std::string_view member) {
  return base.empty() ? std::string(member) : base + "." + std::string(member);
}

}  // namespace

const ShapeModel& ShapeModel::instance() {
  static const ShapeModel model(model_text());
  return model;
}

ShapeModel::ShapeModel(std::string_view model_json) {
  json::value doc = json::parse(model_json);  // a broken compiled-in model is a bug: throw
  const auto& root = doc.as_object();
  target_prefix_ = std::string(root.at("metadata").at("targetPrefix").as_string());
  for (const auto& [name, value] : root.at("shapes").as_object()) {
    const auto& s = value.as_object();
    Shape shape;
    shape.name = std::string(name);
    shape.type = parse_type(s.at("type").as_string());
    if (auto* r = s.if_contains("required")) {
      for (const auto& m : r->as_array()) shape.required.emplace_back(m.as_string());
    }
    if (auto* m = s.if_contains("members")) {
      for (const auto& [mn, mv] : m->as_object()) {
        shape.members.emplace(std::string(mn), std::string(mv.at("shape").as_string()));
      }
    }
    if (auto* m = s.if_contains("member")) shape.member = m->at("shape").as_string();
    if (auto* m = s.if_contains("key")) shape.key = m->at("shape").as_string();
    if (auto* m = s.if_contains("value")) shape.value = m->at("shape").as_string();
    if (auto* m = s.if_contains("min")) shape.min = m->to_number<double>();
    if (auto* m = s.if_contains("max")) shape.max = m->to_number<double>();
    if (auto* p = s.if_contains("pattern")) {
      shape.pattern_text = p->as_string();
      RE2::Options options;
      options.set_log_errors(false);
      auto compiled = std::make_shared<const RE2>(shape.pattern_text, options);
      // A pattern RE2 cannot express is left unchecked rather than refusing
      // valid input; lengths and enums still apply. (All of today's model
      // compiles; shape_model_test checks that.)
      if (compiled->ok()) shape.pattern = std::move(compiled);
    }
    if (auto* e = s.if_contains("enum")) {
      for (const auto& v : e->as_array()) shape.enum_values.emplace_back(v.as_string());
    }
    if (auto* e = s.if_contains("exception")) shape.is_exception = e->as_bool();
    if (auto* f = s.if_contains("fault")) shape.is_fault = f->as_bool();
    shapes_.emplace(shape.name, std::move(shape));
  }
  for (const auto& [name, value] : root.at("operations").as_object()) {
    const auto& o = value.as_object();
    Operation op;
    op.name = std::string(name);
    if (auto* i = o.if_contains("input"); i && i->is_string()) op.input = i->as_string();
    if (auto* i = o.if_contains("output"); i && i->is_string()) op.output = i->as_string();
    for (const auto& e : o.at("errors").as_array()) op.errors.emplace_back(e.as_string());
    operations_.emplace(op.name, std::move(op));
  }
}

const Operation* ShapeModel::find_operation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ShapeModel::find_shape(std::string_view name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : &it->second;
}

Status ShapeModel::validate(std::string_view shape, const json::value& input) const {
  const Shape* s = find_shape(shape);
  if (!s) return fail(ErrorCode::kInternal, "unknown shape " + std::string(shape));
  return validate_value(*s, input, "");
}

Status ShapeModel::validate_value(const Shape& shape, const json::value& v,
                                  const std::string& path) const {
  const std::string& where = path.empty() ? shape.name : path;
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return wrong_type(where, "an object");
      const auto& obj = v.as_object();
      for (const auto& req : shape.required) {
        auto* m = obj.if_contains(req);
        if (!m || m->is_null()) {
          return invalid(join_path(path, req), "Member must not be null");
        }
      }
      for (const auto& [name, member] : obj) {
        if (member.is_null()) continue;
        auto it = shape.members.find(std::string_view(name));
        if (it == shape.members.end()) continue;
        const Shape* ms = find_shape(it->second);
        if (!ms) continue;
        BERTH_TRY_STATUS(validate_value(*ms, member, join_path(path, name)));
      }
      return ok();
    }
    case ShapeType::kString: {
      if (!v.is_string()) return wrong_type(where, "a string");
      std::string_view s = v.as_string();
      if (shape.min && static_cast<double>(s.size()) < *shape.min) {
        return invalid(where, "Member must have length greater than or equal to " +
                                  number_text(*shape.min));
      }
      if (shape.max && static_cast<double>(s.size()) > *shape.max) {
        return invalid(where, "Member must have length less than or equal to " +
                                  number_text(*shape.max));
      }
      if (!shape.enum_values.empty()) {
        bool found = false;
        for (const auto& e : shape.enum_values) found = found || e == s;
        if (!found) {
          std::string set;
          for (const auto& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
          return invalid(where, "Member must satisfy enum value set: [" + set + "]");
        }
      }
      if (shape.pattern && !RE2::FullMatch(s, *shape.pattern)) {
        return invalid(where,
                       "Member must satisfy regular expression pattern: " + shape.pattern_text);
      }
      return ok();
    }
    case ShapeType::kList: {
      if (!v.is_array()) return wrong_type(where, "a list");
      const auto& arr = v.as_array();
      if (shape.min && static_cast<double>(arr.size()) < *shape.min) {
        return invalid(where, "Member must have length greater than or equal to " +
                                  number_text(*shape.min));
      }
      if (shape.max && static_cast<double>(arr.size()) > *shape.max) {
        return invalid(where, "Member must have length less than or equal to " +
                                  number_text(*shape.max));
      }
      const Shape* ms = find_shape(shape.member);
      if (!ms) return ok();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        BERTH_TRY_STATUS(validate_value(*ms, arr[i], where + "." + std::to_string(i + 1) + ".member"));
      }
      return ok();
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return wrong_type(where, "a map");
      const auto& obj = v.as_object();
      if (shape.min && static_cast<double>(obj.size()) < *shape.min) {
        return invalid(where, "Member must have length greater than or equal to " +
                                  number_text(*shape.min));
      }
      if (shape.max && static_cast<double>(obj.size()) > *shape.max) {
        return invalid(where, "Member must have length less than or equal to " +
                                  number_text(*shape.max));
      }
      const Shape* ks = find_shape(shape.key);
      const Shape* vs = find_shape(shape.value);
      for (const auto& [k, val] : obj) {
        if (ks) BERTH_TRY_STATUS(validate_value(*ks, json::value(k), where + ".key"));
        if (vs) BERTH_TRY_STATUS(validate_value(*vs, val, where + "." + std::string(k)));
      }
      return ok();
    }
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      if (!v.is_int64() && !v.is_uint64()) return wrong_type(where, "an integer");
      double d = v.is_int64() ? static_cast<double>(v.as_int64()) : static_cast<double>(v.as_uint64());
      if (shape.type == ShapeType::kInteger && (d < -2147483648.0 || d > 2147483647.0)) {
        return wrong_type(where, "a 32-bit integer");
      }
      if (shape.min && d < *shape.min) {
        return invalid(where, "Member must have value greater than or equal to " +
                                  number_text(*shape.min));
      }
      if (shape.max && d > *shape.max) {
        return invalid(where, "Member must have value less than or equal to " +
                                  number_text(*shape.max));
      }
      return ok();
    }
    case ShapeType::kBoolean:
      if (!v.is_bool()) return wrong_type(where, "a boolean");
      return ok();
    case ShapeType::kDouble:
    case ShapeType::kTimestamp:
      if (!v.is_number()) return wrong_type(where, "a number");
      return ok();
    case ShapeType::kBlob: {
      if (!v.is_string()) return wrong_type(where, "a base64 string");
      std::string_view text = v.as_string();
      // Decoded size without decoding: the handler decodes once, later.
      std::size_t padding = 0;
      if (text.ends_with("==")) padding = 2; else if (text.ends_with("=")) padding = 1;
      if (text.size() % 4 != 0) return wrong_type(where, "a base64 string");
      double decoded = static_cast<double>(text.size() / 4 * 3 - padding);
      if (shape.min && decoded < *shape.min) {
        return invalid(where, "Member must have length greater than or equal to " +
                                  number_text(*shape.min));
      }
      if (shape.max && decoded > *shape.max) {
        return invalid(where, "Member must have length less than or equal to " +
                                  number_text(*shape.max));
      }
      return ok();
    }
  }
  return ok();
}

void ShapeModel::shape_output(std::string_view shape_name, json::value& output) const {
  const Shape* shape = find_shape(shape_name);
  if (!shape) return;
  switch (shape->type) {
    case ShapeType::kStructure: {
      if (!output.is_object()) return;
      auto& obj = output.as_object();
      for (auto it = obj.begin(); it != obj.end();) {
        auto m = shape->members.find(std::string_view(it->key()));
        if (m == shape->members.end() || it->value().is_null()) {
          it = obj.erase(it);
        } else {
          shape_output(m->second, it->value());
          ++it;
        }
      }
      return;
    }
    case ShapeType::kList:
      if (output.is_array()) {
        for (auto& item : output.as_array()) shape_output(shape->member, item);
      }
      return;
    case ShapeType::kMap:
      if (output.is_object()) {
        for (auto& kv : output.as_object()) shape_output(shape->value, kv.value());
      }
      return;
    default:
      return;
  }
}

}  // namespace berth::api::ecr
