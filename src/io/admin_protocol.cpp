#include "nw/io/admin_protocol.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/core/audit_record.h"
#include "nw/core/rfc3339.h"

namespace nw {

namespace {

using Poco::JSON::Object;

const char* op_name(AdminOp op) {
  switch (op) {
    case AdminOp::status:
      return "status";
    case AdminOp::cancel:
      return "cancel";
    case AdminOp::protect:
      return "protect";
    case AdminOp::pause:
      return "pause";
    case AdminOp::resume:
      return "resume";
  }
  return "status";
}

std::optional<AdminOp> op_named(const std::string& name) {
  for (AdminOp op :
       {AdminOp::status, AdminOp::cancel, AdminOp::protect, AdminOp::pause, AdminOp::resume})
    if (name == op_name(op)) return op;
  return std::nullopt;
}

std::optional<Verdict> verdict_named(const std::string& name) {
  for (Verdict v : {Verdict::act, Verdict::within_limits, Verdict::unselected,
                    Verdict::protected_query, Verdict::ignored})
    if (name == to_string(v)) return v;
  return std::nullopt;
}

void field(std::string& out, const char* name) {
  if (out.back() != '{') out += ',';
  out += '"';
  out += name;
  out += "\":";
}

void text(std::string& out, const char* name, const std::string& value) {
  field(out, name);
  append_json_string(out, value);
}

void number(std::string& out, const char* name, std::int64_t value) {
  field(out, name);
  out += std::to_string(value);
}

std::string string_of(const Object::Ptr& o, const std::string& key) {
  return o->has(key) && !o->isNull(key) ? o->getValue<std::string>(key) : std::string();
}

}  // namespace

std::optional<AdminRequest> parse_admin_request(const std::string& line, std::string& error) {
  Object::Ptr o;
  try {
    o = Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    error = "not a JSON object: " + e.message();
    return std::nullopt;
  } catch (const std::exception&) {
    error = "not a JSON object";
    return std::nullopt;
  }
  if (!o) {
    error = "not a JSON object";
    return std::nullopt;
  }
  // Strict types: a request is a program's, and a value of another type is its bug.
  for (const char* key : {"op", "endpoint", "language", "query_id", "matches", "reason", "for"})
    if (o->has(key) && !o->get(key).isString()) {
      error = std::string("a field of the wrong type: '") + key + "' must be a string";
      return std::nullopt;
    }
  if (o->has("silent") && o->get("silent").type() != typeid(bool)) {
    error = "a field of the wrong type: 'silent' must be true or false";
    return std::nullopt;
  }
  try {
    AdminRequest r;
    const auto op = op_named(string_of(o, "op"));
    if (!op) {
      error = "unknown op '" + printable(string_of(o, "op"), 40) +
              "' (expected status, cancel, protect, pause or resume)";
      return std::nullopt;
    }
    r.op = *op;
    r.endpoint = string_of(o, "endpoint");
    r.query_id = string_of(o, "query_id");
    r.matches = string_of(o, "matches");
    r.reason = string_of(o, "reason");
    if (o->has("silent")) r.silent = o->getValue<bool>("silent");
    if (const std::string language = string_of(o, "language"); !language.empty()) {
      r.language = language_named(language);
      if (!r.language) {
        error = "unknown language '" + printable(language, 40) + "'";
        return std::nullopt;
      }
    }
    if (const std::string length = string_of(o, "for"); !length.empty()) {
      r.length = parse_duration(length);
      if (!r.length) {
        error = "'for': '" + printable(length, 40) + "' is not a duration (e.g. 30m, 1h)";
        return std::nullopt;
      }
    }
    if (r.op == AdminOp::cancel && (r.endpoint.empty() || r.query_id.empty())) {
      error = "cancel needs 'endpoint' and 'query_id'";
      return std::nullopt;
    }
    if ((r.op == AdminOp::pause || r.op == AdminOp::protect) && !r.length) {
      error = std::string(op_name(r.op)) + " needs 'for' (e.g. \"30m\")";
      return std::nullopt;
    }
    return r;
  } catch (const Poco::Exception& e) {
    error = "a field of the wrong type: " + e.message();
  } catch (const std::exception&) {
    error = "a field of the wrong type";
  }
  return std::nullopt;
}

std::string admin_request_json(const AdminRequest& r) {
  std::string out = "{";
  text(out, "op", op_name(r.op));
  if (!r.endpoint.empty()) text(out, "endpoint", r.endpoint);
  if (r.language) text(out, "language", std::string(to_string(*r.language)));
  if (!r.query_id.empty()) text(out, "query_id", r.query_id);
  if (r.silent) {
    field(out, "silent");
    out += "true";
  }
  if (!r.matches.empty()) text(out, "matches", r.matches);
  if (r.length) text(out, "for", format_duration(*r.length));
  if (!r.reason.empty()) text(out, "reason", r.reason);
  return out + "}";
}

std::string admin_ok(const std::string& message) {
  std::string out = "{\"ok\":true";
  text(out, "message", message);
  return out + "}";
}

std::string admin_error(const std::string& message) {
  std::string out = "{\"ok\":false";
  text(out, "error", message);
  return out + "}";
}

std::string admin_status(const LiveFleet& fleet) {
  std::string out = "{\"ok\":true,\"status\":{";
  text(out, "at", format_rfc3339_ms(fleet.at));
  text(out, "config_version", fleet.config_version);
  text(out, "pause", fleet.pause);
  number(out, "temporary_protections", static_cast<std::int64_t>(fleet.temporary_protections));
  field(out, "instances");
  out += '[';
  for (std::size_t i = 0; i < fleet.instances.size(); ++i) {
    const LiveInstance& in = fleet.instances[i];
    out += i ? ",{" : "{";
    text(out, "endpoint", in.endpoint);
    text(out, "language", std::string(to_string(in.language)));
    text(out, "role", in.role);
    if (in.polled_at) text(out, "polled_at", format_rfc3339_ms(*in.polled_at));
    text(out, "last_error", in.last_error);
    number(out, "failed_polls", static_cast<std::int64_t>(in.failed_polls));
    field(out, "queries");
    out += '[';
    for (std::size_t j = 0; j < in.queries.size(); ++j) {
      const LiveQuery& q = in.queries[j];
      out += j ? ",{" : "{";
      text(out, "id", q.id);
      text(out, "state", q.queued ? "queued" : "running");
      number(out, "elapsed_ms", q.elapsed_ms);
      number(out, "waited_ms", q.waited_ms);
      text(out, "verdict", std::string(to_string(q.verdict)));
      text(out, "rule", q.rule);
      if (q.limit_ms) number(out, "limit_ms", *q.limit_ms);
      if (q.action_in_ms) number(out, "action_in_ms", *q.action_in_ms);
      text(out, "reason", q.reason);
      text(out, "fingerprint", q.fingerprint);
      text(out, "query", q.text);
      out += '}';
    }
    out += "]}";
  }
  return out + "]}}";
}

std::optional<AdminAnswer> parse_admin_answer(const std::string& answer, std::string& error) {
  try {
    const Object::Ptr o = Poco::JSON::Parser().parse(answer).extract<Object::Ptr>();
    if (!o || !o->has("ok")) {
      error = "not an answer of the admin protocol";
      return std::nullopt;
    }
    AdminAnswer a;
    a.ok = o->getValue<bool>("ok");
    a.message = a.ok ? string_of(o, "message") : string_of(o, "error");
    const Object::Ptr status = o->getObject("status");
    if (!status) return a;
    LiveFleet fleet;
    if (const auto at = parse_rfc3339(string_of(status, "at"))) fleet.at = *at;
    fleet.config_version = string_of(status, "config_version");
    fleet.pause = string_of(status, "pause");
    fleet.temporary_protections = status->getValue<std::size_t>("temporary_protections");
    const Poco::JSON::Array::Ptr instances = status->getArray("instances");
    for (std::size_t i = 0; instances && i < instances->size(); ++i) {
      const Object::Ptr in = instances->getObject(static_cast<unsigned>(i));
      if (!in) continue;
      LiveInstance inst;
      inst.endpoint = string_of(in, "endpoint");
      inst.language = language_named(string_of(in, "language")).value_or(Language::opencypher);
      inst.role = string_of(in, "role");
      inst.polled_at = parse_rfc3339(string_of(in, "polled_at"));
      inst.last_error = string_of(in, "last_error");
      inst.failed_polls = in->getValue<std::uint64_t>("failed_polls");
      const Poco::JSON::Array::Ptr queries = in->getArray("queries");
      for (std::size_t j = 0; queries && j < queries->size(); ++j) {
        const Object::Ptr q = queries->getObject(static_cast<unsigned>(j));
        if (!q) continue;
        LiveQuery row;
        row.id = string_of(q, "id");
        row.queued = string_of(q, "state") == "queued";
        row.elapsed_ms = q->getValue<std::int64_t>("elapsed_ms");
        row.waited_ms = q->getValue<std::int64_t>("waited_ms");
        row.verdict = verdict_named(string_of(q, "verdict")).value_or(Verdict::unselected);
        row.rule = string_of(q, "rule");
        if (q->has("limit_ms")) row.limit_ms = q->getValue<std::int64_t>("limit_ms");
        if (q->has("action_in_ms")) row.action_in_ms = q->getValue<std::int64_t>("action_in_ms");
        row.reason = string_of(q, "reason");
        row.fingerprint = string_of(q, "fingerprint");
        row.text = string_of(q, "query");
        inst.queries.push_back(std::move(row));
      }
      fleet.instances.push_back(std::move(inst));
    }
    a.fleet = std::move(fleet);
    return a;
  } catch (const Poco::Exception& e) {
    error = "not an answer of the admin protocol: " + e.message();
  } catch (const std::exception& e) {
    error = std::string("not an answer of the admin protocol: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace nw
