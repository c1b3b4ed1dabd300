// Fuzz target: ECR request input decoding and validation against the
// service model (api/ecr/model/shape_model.hpp ShapeModel::validate, and
// api/ecr/query_form.hpp for berth's GET query form), the step every ECR
// call goes through before a handler sees it, authenticated or not.
//
// Input format: the first line names the operation ("BatchGetImage"); a
// name the model does not know picks an operation by hash, so every input
// exercises some input shape. The rest is the request body (AWS JSON 1.1),
// decoded the way api/ecr/ecr_api.cpp parse_body() does (blank body = {},
// Boost.JSON with max_depth 64, the server default, object required).
// When the first line ends in '?' ("ListImages?"), the rest is instead a
// raw query string for the query form ("repositoryName=app&maxResults=5"),
// decoded by http::parse_target and converted by query_to_input.
//
// Checked beyond "no sanitizer report": refusals carry kInvalidArgument and
// one of the two AWS error kinds; an accepted input serialises to valid JSON
// and validates again; shape_output never throws.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "api/ecr/model/shape_model.hpp"
#include "api/ecr/query_form.hpp"
#include "fuzz_support.hpp"
#include "http/target.hpp"

namespace {

namespace json = boost::json;
using berth::api::ecr::Operation;
using berth::api::ecr::ShapeModel;

constexpr std::size_t kServerMaxJsonDepth = 64;  // EcrOptions::max_json_depth default

const std::vector<const Operation *> &all_operations() {
  static const std::vector<const Operation *> ops = [] {
    std::vector<const Operation *> out;
    for (const auto &[name, op] : ShapeModel::instance().operations()) out.push_back(&op);
    return out;
  }();
  return ops;
}

const Operation &pick_operation(std::string_view name) {
  if (const Operation *op = ShapeModel::instance().find_operation(name)) return *op;
  std::size_t h = 0;
  for (char c : name) h = h * 131 + static_cast<unsigned char>(c);
  const auto &ops = all_operations();
  return *ops[h % ops.size()];
}

// Reported bugs (fuzz/regressions/OPEN) the fuzzer rediscovers within
// seconds: while listed there, inputs that can only find them again are
// skipped, so a CI run can still fail on something new.
struct KnownOpen {
  const char *id;
  std::string_view operation;
  std::size_t min_input_size;
};
constexpr KnownOpen kKnownOpen[] = {
    {"ecr_input/stack-overflow-layer-digest-regex", "CompleteLayerUpload", 2048},
    {"ecr_input/stack-overflow-layer-digest-regex", "GetDownloadUrlForLayer", 2048},
};

bool skipped_as_known(const Operation &op, std::size_t size) {
  for (const auto &k : kKnownOpen) {
    if (op.name == k.operation && size >= k.min_input_size && berth::fuzz::finding_is_open(k.id)) {
      return true;
    }
  }
  return false;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void check_refusal(const berth::Error &e) {
  FUZZ_CHECK(e.code == berth::ErrorCode::kInvalidArgument, "refusal is not kInvalidArgument");
  FUZZ_CHECK(e.detail == "InvalidParameterException" || e.detail == "SerializationException",
             "refusal without an AWS error kind");
}

void check_accepted(const ShapeModel &model, const Operation &op, const json::object &input) {
  // What a handler receives must survive serialisation: it is logged and
  // sometimes stored (policies, settings).
  json::parse_options options;
  options.max_depth = kServerMaxJsonDepth;
  boost::system::error_code ec;
  json::value copy = json::parse(json::serialize(input), ec, {}, options);
  // The query form copies parameter bytes into JSON strings unchecked, so
  // invalid UTF-8 the JSON form refuses gets through (reported).
  if (!FUZZ_CHECK_OPEN("ecr_input:query-form-invalid-utf8", !ec,
                       "accepted input is not valid JSON once serialised")) {
    return;
  }
  // (Not compared for equality: Boost.JSON 1.81 parses numbers of more
  // than 17 significant digits only approximately.)
  if (!op.input.empty()) {
    FUZZ_CHECK(model.validate(op.input, json::value(input)).has_value(),
               "validation is not deterministic");
  }
  // The output shaper walks arbitrary values the same way; feed it this one.
  if (!op.output.empty()) model.shape_output(op.output, copy);
}

void fuzz_json(const ShapeModel &model, const Operation &op, std::string_view body) {
  json::object input;
  if (!is_blank(body)) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = kServerMaxJsonDepth;
    json::value v = json::parse(body, ec, {}, options);
    if (ec || !v.is_object()) return;  // refused before the model is consulted
    input = std::move(v.as_object());
  }
  if (!op.input.empty()) {
    auto s = model.validate(op.input, input);
    if (!s) {
      check_refusal(s.error());
      return;
    }
  }
  check_accepted(model, op, input);
}

void fuzz_query(const ShapeModel &model, const Operation &op, std::string_view raw_query) {
  std::string target = "/?";
  target.append(raw_query);
  auto parsed = berth::http::parse_target(target);
  if (!parsed) return;  // a 400 from the HTTP layer
  auto input = berth::api::ecr::query_to_input(parsed->query, model, op.input);
  if (!input) {
    check_refusal(input.error());
    return;
  }
  if (!op.input.empty()) {
    auto s = model.validate(op.input, *input);
    if (!s) {
      check_refusal(s.error());
      return;
    }
  }
  check_accepted(model, op, *input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const ShapeModel &model = ShapeModel::instance();
  auto [name, rest] = berth::fuzz::split_first_line(berth::fuzz::as_text(data, size));
  bool query_form = !name.empty() && name.back() == '?';
  if (query_form) name.remove_suffix(1);
  const Operation &op = pick_operation(name);
  if (skipped_as_known(op, size)) return 0;
  if (query_form) {
    fuzz_query(model, op, rest);
  } else {
    fuzz_json(model, op, rest);
  }
  return 0;
}
