#include "nw/io/status_json.h"

#include <limits>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace nw {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Thrown inside this file only, for a body that parses as JSON but has the wrong shape.
struct ShapeError {
  std::string what;
};

Var parse_json(std::string_view body) {
  Poco::JSON::Parser parser;
  return parser.parse(std::string(body));
}

Object::Ptr as_object(const Var& v) {
  if (v.type() != typeid(Object::Ptr)) return nullptr;
  return v.extract<Object::Ptr>();
}

// A non-negative whole number of milliseconds, as 64-bit.
std::int64_t millis_field(const Object& stats, const std::string& name) {
  if (!stats.has(name)) return 0;
  const Var v = stats.get(name);
  if (v.isEmpty()) return 0;
  // Poco counts a bool as an integer; Neptune never sends one here.
  if (!v.isInteger() || v.type() == typeid(bool))
    throw ShapeError{"'" + name + "' is not a whole number"};
  if (v.isSigned()) {
    const auto n = v.convert<Poco::Int64>();
    if (n < 0) throw ShapeError{"'" + name + "' is negative"};
    return n;
  }
  const auto n = v.convert<Poco::UInt64>();
  if (n > static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max()))
    throw ShapeError{"'" + name + "' is out of range"};
  return static_cast<std::int64_t>(n);
}

bool cancelled_field(const Object& stats) {
  if (!stats.has("cancelled")) return false;
  const Var v = stats.get("cancelled");
  if (v.isEmpty()) return false;
  if (v.type() == typeid(bool)) return v.extract<bool>();
  if (v.isString()) {
    const std::string s = Poco::toLower(v.toString());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  throw ShapeError{"'cancelled' is not a boolean"};
}

std::int64_t count_field(const Object& o, const std::string& name) {
  return millis_field(o, name);  // same rules: absent is 0, otherwise a non-negative integer
}

}  // namespace

Result<StatusSnapshot> parse_status_body(std::string_view body, Language language) {
  const auto bad = [](const std::string& why) {
    return Failure{FailureKind::bad_response, 200, "", "status body: " + why};
  };
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return bad("not a JSON object");
    StatusSnapshot snapshot;
    snapshot.language = language;
    snapshot.accepted_count = count_field(*root, "acceptedQueryCount");
    snapshot.running_count = count_field(*root, "runningQueryCount");
    if (!root->has("queries") || root->get("queries").isEmpty()) return snapshot;
    const Var list = root->get("queries");
    if (list.type() != typeid(Array::Ptr)) return bad("'queries' is not an array");
    const Array::Ptr queries = list.extract<Array::Ptr>();
    snapshot.queries.reserve(queries->size());
    for (std::size_t i = 0; i < queries->size(); ++i) {
      const Object::Ptr entry = queries->getObject(static_cast<unsigned>(i));
      if (!entry) return bad("queries[" + std::to_string(i) + "] is not an object");
      const Var id = entry->get("queryId");
      if (!id.isString() || id.extract<std::string>().empty()) {
        ++snapshot.skipped_entries;
        continue;
      }
      QueryStatus q;
      q.id = id.extract<std::string>();
      const Var text = entry->get("queryString");
      if (text.isString()) q.text = text.extract<std::string>();
      else if (!text.isEmpty()) return bad("queries[" + std::to_string(i) + "].queryString is not a string");
      if (entry->has("queryEvalStats") && !entry->get("queryEvalStats").isEmpty()) {
        const Object::Ptr stats = entry->getObject("queryEvalStats");
        if (!stats) return bad("queries[" + std::to_string(i) + "].queryEvalStats is not an object");
        try {
          q.elapsed_ms = millis_field(*stats, "elapsed");
          q.waited_ms = millis_field(*stats, "waited");
          q.cancelled = cancelled_field(*stats);
        } catch (const ShapeError& e) {
          return bad("queries[" + std::to_string(i) + "].queryEvalStats: " + e.what);
        }
      }
      snapshot.queries.push_back(std::move(q));
    }
    return snapshot;
  } catch (const ShapeError& e) {
    return bad(e.what);
  } catch (const Poco::Exception& e) {
    return bad(e.displayText());
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

std::optional<NeptuneErrorBody> parse_error_body(std::string_view body) {
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return std::nullopt;
    const Var code = root->get("code");
    if (!code.isString()) return std::nullopt;
    NeptuneErrorBody e;
    e.code = code.extract<std::string>();
    const Var message = root->get("detailedMessage");
    if (message.isString()) e.message = message.extract<std::string>();
    const Var request_id = root->get("requestId");
    if (request_id.isString()) e.request_id = request_id.extract<std::string>();
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<CancelAck> parse_cancel_reply(std::string_view body, Language language) {
  const auto refused = [&](const std::string& why) {
    return Failure{FailureKind::bad_response, 200, "", "cancel not acknowledged: " + why};
  };
  if (language == Language::sparql && body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Failure{FailureKind::query_not_found, 200, "", "empty reply: the query had already ended"};
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return refused("reply is not a JSON object");
    if (language == Language::sparql && (root->has("queries") || root->has("acceptedQueryCount")))
      return CancelAck{};
    if (root->has("payload")) {
      const Var payload = root->get("payload");
      if (payload.type() == typeid(bool) && payload.extract<bool>()) return CancelAck{};
      return refused("reply payload is " + payload.toString() + ", not true");
    }
    // Gremlin's reply has no payload, only {"status": "200 OK"}.
    const Var status = root->get("status");
    if (status.isString() && status.extract<std::string>().rfind("200", 0) == 0) return CancelAck{};
    return refused("reply has neither payload true nor status 200");
  } catch (const std::exception& e) {
    return refused(std::string("reply is not JSON: ") + e.what());
  }
}

}  // namespace nw
