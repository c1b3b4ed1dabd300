#include "api/ecr/query_form.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The parameters as a tree of dotted path segments, before the shape gives
// them meaning: "imageIds.member.1.imageTag=v1" becomes
// root -> imageIds -> member -> 1 -> imageTag with value "v1".
struct Node {
  std::vector<std::string> values;  // values given for exactly this path
  std::map<std::string, Node, std::less<>> children;
};

std::unexpected<Error> serialization_error(const std::string& param, std::string why) {
  return fail(ErrorCode::kInvalidArgument,
              "Cannot read query parameter '" + param + "': " + std::move(why),
              "SerializationException");
}

std::unexpected<Error> parameter_error(const std::string& param, std::string why) {
  return fail(ErrorCode::kInvalidArgument,
              "Invalid query parameter '" + param + "': " + std::move(why),
              "InvalidParameterException");
}

std::string join(const std::string& base, std::string_view segment) {
  return base.empty() ? std::string(segment) : base + "." + std::string(segment);
}

bool is_index(std::string_view s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<json::value> parse_json(const std::string& param, std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return serialization_error(param, "not valid JSON (" + ec.message() + ")");
  return v;
}

template <typename Int>
Result<json::value> parse_integer(const std::string& param, std::string_view text) {
  Int out{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return serialization_error(param, "expected an integer");
  }
  return json::value(static_cast<std::int64_t>(out));
}

Result<json::value> parse_number(const std::string& param, std::string_view text) {
  double out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(out)) {
    return serialization_error(param, "expected a number");
  }
  return json::value(out);
}

class Converter {
 public:
  explicit Converter(const ShapeModel& model) : model_(model) {}

  Result<json::value> convert(const Shape& shape, const Node& node, const std::string& param) {
    switch (shape.type) {
      case ShapeType::kStructure:
        return structure(shape, node, param);
      case ShapeType::kList:
        return list(shape, node, param);
      case ShapeType::kMap:
        return map(shape, node, param);
      default:
        if (!node.children.empty()) {
          return parameter_error(join(param, node.children.begin()->first),
                                 "'" + param + "' is a scalar and has no members");
        }
        if (node.values.size() != 1) return parameter_error(param, "given more than once");
        return scalar(shape, node.values.front(), param);
    }
  }

 private:
  const Shape& shape_named(const std::string& name) {
    const Shape* s = model_.find_shape(name);
    // The compiled-in model is closed over its shape names; a miss is a bug.
    if (!s) throw std::logic_error("ECR model has no shape " + name);
    return *s;
  }

  static bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
      auto c = static_cast<unsigned char>(text[i]);
      std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
      if (extra == 4) return false;  // a continuation byte or 0xF8..0xFF as a lead
      std::uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
      for (std::size_t k = 1; k <= extra; ++k) {
        if (i + k >= text.size()) return false;
        auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc >> 6) != 0x2) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
      if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
          (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return false;
      }
      i += extra + 1;
    }
    return true;
  }

  Result<json::value> scalar(const Shape& shape, std::string_view text, const std::string& param) {
    switch (shape.type) {
      case ShapeType::kInteger:
        return parse_integer<std::int32_t>(param, text);
      case ShapeType::kLong:
        return parse_integer<std::int64_t>(param, text);
      case ShapeType::kBoolean:
        if (iequals(text, "true")) return json::value(true);
        if (iequals(text, "false")) return json::value(false);
        return serialization_error(param, "expected true or false");
      case ShapeType::kDouble:
      case ShapeType::kTimestamp:
        return parse_number(param, text);
      default:  // string, blob (base64 text)
        // JSON strings are UTF-8; a value that is not would reach the model
        // checks (and any echo of it) as malformed text.
        if (!is_valid_utf8(text)) return serialization_error(param, "not valid UTF-8");
        return json::value(json::string(text));
    }
  }

  // One value for a whole structure/list/map: it must be JSON of that kind.
  Result<json::value> whole(const Node& node, const std::string& param) {
    if (node.values.size() != 1) return parameter_error(param, "given more than once");
    return parse_json(param, node.values.front());
  }

  Result<json::value> structure(const Shape& shape, const Node& node, const std::string& param) {
    json::object out;
    if (!node.values.empty()) {
      if (!node.children.empty()) {
        return parameter_error(param, "given both as one JSON value and member by member");
      }
      json::value v = BERTH_TRY(whole(node, param));
      if (!v.is_object()) return serialization_error(param, "expected a JSON object");
      return v;
    }
    for (const auto& [segment, child] : node.children) {
      auto member = shape.members.find(segment);
      if (member == shape.members.end()) {
        member = std::find_if(shape.members.begin(), shape.members.end(),
                              [&](const auto& m) { return iequals(m.first, segment); });
      }
      if (member == shape.members.end()) continue;  // unknown members are ignored
      if (out.contains(member->first)) {
        return parameter_error(join(param, segment), "given twice with different spellings");
      }
      out[member->first] = BERTH_TRY(convert(shape_named(member->second), child,
                                             join(param, segment)));
    }
    return json::value(std::move(out));
  }

  // The numbered items under a list or map node: "member.N..." / "entry.N..."
  // or "N..." directly, ordered by N.
  Result<std::vector<std::pair<long, const Node*>>> numbered(const Node& node,
                                                             std::string_view wrapper,
                                                             const std::string& param) {
    std::vector<std::pair<long, const Node*>> items;
    for (const auto& [segment, child] : node.children) {
      if (is_index(segment)) {
        items.emplace_back(std::stol(segment), &child);
      } else if (iequals(segment, wrapper)) {
        if (!child.values.empty()) {
          return parameter_error(join(param, segment), "needs an index: " +
                                                           join(param, segment) + ".1");
        }
        for (const auto& [index, item] : child.children) {
          if (!is_index(index)) {
            return parameter_error(join(join(param, segment), index), "expected a number");
          }
          items.emplace_back(std::stol(index), &item);
        }
      } else {
        return parameter_error(join(param, segment),
                               "expected " + join(param, wrapper) + ".<n>");
      }
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < items.size(); ++i) {
      if (items[i].first == items[i - 1].first) {
        return parameter_error(param, "index " + std::to_string(items[i].first) +
                                          " given in two spellings");
      }
    }
    return items;
  }

  Result<json::value> list(const Shape& shape, const Node& node, const std::string& param) {
    const Shape& member = shape_named(shape.member);
    const bool scalar_items = member.type != ShapeType::kStructure &&
                              member.type != ShapeType::kList && member.type != ShapeType::kMap;
    json::array out;
    for (const auto& text : node.values) {
      // "[...]" is the whole list as JSON; anything else is one item, which
      // is how repeated keys (layerDigests=a&layerDigests=b) build a list.
      if (!text.empty() && text.front() == '[') {
        json::value v = BERTH_TRY(parse_json(param, text));
        if (!v.is_array()) return serialization_error(param, "expected a JSON array");
        for (auto& item : v.as_array()) out.push_back(std::move(item));
      } else if (scalar_items) {
        out.push_back(BERTH_TRY(scalar(member, text, param)));
      } else {
        out.push_back(BERTH_TRY(parse_json(param, text)));
      }
    }
    auto items = BERTH_TRY(numbered(node, "member", param));
    for (const auto& [index, item] : items) {
      out.push_back(BERTH_TRY(convert(member, *item, join(param, "member." + std::to_string(index)))));
    }
    return json::value(std::move(out));
  }

  Result<json::value> map(const Shape& shape, const Node& node, const std::string& param) {
    if (!node.values.empty()) {
      if (!node.children.empty()) {
        return parameter_error(param, "given both as one JSON value and entry by entry");
      }
      json::value v = BERTH_TRY(whole(node, param));
      if (!v.is_object()) return serialization_error(param, "expected a JSON object");
      return v;
    }
    const Shape& value_shape = shape_named(shape.value);
    json::object out;
    auto items = BERTH_TRY(numbered(node, "entry", param));
    for (const auto& [index, item] : items) {
      std::string at = join(param, "entry." + std::to_string(index));
      const Node* key = nullptr;
      const Node* value = nullptr;
      for (const auto& [segment, child] : item->children) {
        if (iequals(segment, "key")) key = &child;
        else if (iequals(segment, "value")) value = &child;
        else return parameter_error(join(at, segment), "expected key or value");
      }
      if (!key || key->values.size() != 1 || !value) {
        return parameter_error(at, "needs exactly one key and one value");
      }
      out[key->values.front()] = BERTH_TRY(convert(value_shape, *value, join(at, "value")));
    }
    return json::value(std::move(out));
  }

  const ShapeModel& model_;
};

}  // namespace

bool is_reserved_query_parameter(std::string_view name) {
  return iequals(name, "Action") || iequals(name, "Version") || istarts_with(name, "X-Amz-") ||
         istarts_with(name, "X-Berth-");
}

Result<json::object> query_to_input(const QueryParameters& query, const ShapeModel& model,
                                    std::string_view input_shape) {
  Node root;
  for (const auto& [name, value] : query) {
    if (is_reserved_query_parameter(name)) continue;
    if (name.empty()) continue;
    Node* node = &root;
    std::string_view rest = name;
    while (true) {
      auto dot = rest.find('.');
      std::string_view segment = rest.substr(0, dot);
      if (segment.empty()) return parameter_error(name, "empty path segment");
      auto it = node->children.find(segment);
      if (it == node->children.end()) it = node->children.emplace(std::string(segment), Node{}).first;
      node = &it->second;
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    node->values.push_back(value);
  }
  if (input_shape.empty()) return json::object{};
  const Shape* shape = model.find_shape(input_shape);
  if (!shape) return fail(ErrorCode::kInternal, "ECR model has no shape " + std::string(input_shape));
  Converter converter(model);
  json::value input = BERTH_TRY(converter.convert(*shape, root, ""));
  if (!input.is_object()) return fail(ErrorCode::kInternal, "query input is not an object");
  return std::move(input.as_object());
}

}  // namespace berth::api::ecr
