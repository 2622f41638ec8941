#include "nw/io/etcd_client.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include "nw/io/http_exchange.h"
#include "nw/io/tls_context.h"

namespace nw {

using std::chrono::steady_clock;
using JsonObject = Poco::JSON::Object::Ptr;

namespace {

// A range of a whole prefix can be large; a watch message is read line by line, each at most
// this long too.
constexpr std::size_t kMaxAnswerBytes = 32u << 20;

std::string base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string unbase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string out;
  char c;
  while (decoder.get(c)) out.push_back(c);
  return out;
}

// The key just past every key that starts with `prefix` (etcd's range_end for a prefix).
// "\0" for an empty prefix or one of only 0xff bytes: to the end of the keyspace.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last < 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

const char* grpc_code_name(int code) {
  static const char* const names[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code <= 16 ? names[code] : "Unknown";
}

// The gateway writes int64s as strings and leaves zero values out; int32s are numbers.
std::int64_t int64_of(const JsonObject& object, const std::string& name) {
  if (!object || !object->has(name)) return 0;
  const Poco::Dynamic::Var value = object->get(name);
  if (value.isEmpty()) return 0;
  if (value.isString()) {
    const std::string text = value.extract<std::string>();
    std::size_t used = 0;
    const long long n = std::stoll(text, &used);  // throws on garbage
    if (used != text.size()) throw std::invalid_argument("not an integer: " + text);
    return n;
  }
  return value.convert<Poco::Int64>();
}

std::string string_of(const JsonObject& object, const std::string& name) {
  if (!object || !object->has(name)) return {};
  const Poco::Dynamic::Var value = object->get(name);
  return value.isEmpty() ? std::string() : value.convert<std::string>();
}

bool bool_of(const JsonObject& object, const std::string& name) {
  return object && object->has(name) && object->getValue<bool>(name);
}

std::int64_t header_revision(const JsonObject& answer) {
  return int64_of(answer->getObject("header"), "revision");
}

EtcdKeyValue kv_of(const JsonObject& kv) {
  EtcdKeyValue out;
  out.key = unbase64(string_of(kv, "key"));
  out.value = unbase64(string_of(kv, "value"));
  out.create_revision = int64_of(kv, "create_revision");
  out.mod_revision = int64_of(kv, "mod_revision");
  out.lease = int64_of(kv, "lease");
  return out;
}

JsonObject parse_object(const std::string& text) {
  Poco::JSON::Parser parser;
  JsonObject object = parser.parse(text).extract<JsonObject>();
  if (!object) throw std::invalid_argument("not a JSON object");
  return object;
}

std::string to_json(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

// An error etcd answered: {"error": "...", "message": "...", "code": N}, or in a stream
// {"error": {"grpc_code": N, "message": "..."}}. `code` is the gRPC code's name.
Failure etcd_error(int status, const JsonObject& body, const std::string& what) {
  JsonObject error = body;
  if (body && body->isObject("error")) error = body->getObject("error");
  int code = 2;
  std::string message;
  try {
    code = static_cast<int>(error->has("grpc_code") ? int64_of(error, "grpc_code")
                                                    : int64_of(error, "code"));
    message = string_of(error, "message");
  } catch (const std::exception&) {
  }
  message = message.substr(0, 300);
  for (char& c : message)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return {FailureKind::service_error, status, grpc_code_name(code),
          what + ": " + (message.empty() ? "(no message)" : message)};
}

// A member that could not serve the request: another may.
bool moves_on(const Failure& failure) {
  return failure.kind == FailureKind::transport || failure.kind == FailureKind::timeout ||
         (failure.kind == FailureKind::service_error && failure.code == "Unavailable");
}

// The token expired (simple tokens live 5 minutes unused) or predates a change of the auth
// store: authenticating again fixes it.
bool token_refused(const Failure& failure) {
  return failure.kind == FailureKind::service_error &&
         (failure.code == "Unauthenticated" ||
          failure.message.find("invalid auth token") != std::string::npos ||
          failure.message.find("revision of auth store is old") != std::string::npos);
}

}  // namespace

struct EtcdClient::Member {
  std::string url;
  std::unique_ptr<HttpConnections> connections;
};

struct EtcdClient::Answer {
  JsonObject body;
};

Result<std::unique_ptr<EtcdClient>> EtcdClient::create(EtcdOptions options,
                                                       std::shared_ptr<ExchangeReaper> reaper) {
  const auto refuse = [](const std::string& message) {
    return Failure{FailureKind::service_error, 0, "", "etcd: " + message};
  };
  if (options.endpoints.empty()) return refuse("no member URL");
  if (options.cert_file.empty() != options.key_file.empty())
    return refuse("cert_file and key_file go together");
  if (!reaper) reaper = ExchangeReaper::process_default();
  Poco::Net::Context::Ptr tls;
  std::vector<std::unique_ptr<Member>> members;
  for (const std::string& url : options.endpoints) {
    Poco::URI uri;
    try {
      uri = Poco::URI(url);
    } catch (const Poco::Exception& e) {
      return refuse("member URL " + url + ": " + e.displayText());
    }
    const bool https = uri.getScheme() == "https";
    if ((!https && uri.getScheme() != "http") || uri.getHost().empty() ||
        (!uri.getPath().empty() && uri.getPath() != "/") || !uri.getRawQuery().empty() ||
        !uri.getUserInfo().empty())
      return refuse("member URL " + url + " is not http(s)://HOST:PORT");
    if (https && !tls) {
      try {
        tls = make_client_tls_context(options.ca_file, options.cert_file, options.key_file);
      } catch (const Poco::Exception& e) {
        return refuse("TLS: " + e.displayText());
      }
    }
    HttpOrigin origin;
    origin.https = https;
    origin.host = uri.getHost();
    origin.port = uri.getPort();
    if (https) origin.tls = tls;
    auto member = std::make_unique<Member>();
    member->url = url;
    member->connections = std::make_unique<HttpConnections>(std::move(origin), reaper);
    members.push_back(std::move(member));
  }
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::move(options), std::move(members), std::move(reaper)));
}

EtcdClient::EtcdClient(EtcdOptions options, std::vector<std::unique_ptr<Member>> members,
                       std::shared_ptr<ExchangeReaper> reaper)
    : options_(std::move(options)), members_(std::move(members)), reaper_(std::move(reaper)) {}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::token() const {
  std::lock_guard<std::mutex> lock(token_mutex_);
  return token_;
}

Result<EtcdClient::Answer> EtcdClient::post_to(Member& member, const std::string& path,
                                               const std::string& body, const std::string& what,
                                               const std::string& token) {
  HttpCall call;
  call.method = "POST";
  call.target = path;
  call.body = body;
  call.content_type = "application/json";
  call.what = what + " at " + member.url;
  if (!token.empty()) call.headers.emplace_back("Authorization", token);
  ExchangeLimits limits{steady_clock::now() + options_.request_timeout, kMaxAnswerBytes};
  Result<HttpAnswer> answer = member.connections->exchange(call, limits);
  if (!answer) return answer.failure();
  const HttpAnswer& a = answer.value();
  JsonObject parsed;
  try {
    parsed = parse_object(a.body);
  } catch (const std::exception&) {
    if (a.status / 100 == 2)
      return Failure{FailureKind::bad_response, a.status, "",
                     call.what + ": the answer is not JSON"};
    return Failure{FailureKind::service_error, a.status, grpc_code_name(a.status == 503 ? 14 : 2),
                   call.what + ": HTTP " + std::to_string(a.status) + " without an etcd error"};
  }
  if (a.status / 100 != 2) return etcd_error(a.status, parsed, call.what);
  if (parsed->has("error")) return etcd_error(a.status, parsed, call.what);
  return Answer{parsed};
}

Result<std::string> EtcdClient::authenticate(Member& member) {
  Poco::JSON::Object request;
  request.set("name", options_.username);
  request.set("password", options_.password);
  // The message names the user, never the password; etcd's own message names neither.
  auto answer = post_to(member, "/v3/auth/authenticate", to_json(request),
                        "etcd authenticate as user '" + options_.username + "'", "");
  if (!answer) return answer.failure();
  std::string token = string_of(answer.value().body, "token");
  if (token.empty())
    return Failure{FailureKind::bad_response, 200, "",
                   "etcd authenticate at " + member.url + ": the answer has no token"};
  std::lock_guard<std::mutex> lock(token_mutex_);
  token_ = token;
  return token;
}

Result<EtcdClient::Answer> EtcdClient::post(const std::string& path, const std::string& body,
                                            const std::string& what) {
  const std::size_t count = members_.size();
  const std::size_t first = preferred_.load();
  std::optional<Failure> last;
  for (std::size_t i = 0; i < count; ++i) {
    if (reaper_->aborting())
      return Failure{FailureKind::aborted, 0, "", what + ": not sent: shutting down"};
    const std::size_t index = (first + i) % count;
    Member& member = *members_[index];
    Result<Answer> answer = Failure{};
    std::string current;
    bool fresh = false;
    if (!options_.username.empty()) {
      current = token();
      if (current.empty()) {
        auto got = authenticate(member);
        if (got) {
          current = got.value();
          fresh = true;  // a token refused right after login is not retried with another
        } else {
          answer = got.failure();
        }
      }
    }
    if (options_.username.empty() || !current.empty()) {
      answer = post_to(member, path, body, what, current);
      if (!answer && !fresh && !options_.username.empty() && token_refused(answer.failure())) {
        auto got = authenticate(member);
        answer =
            got ? post_to(member, path, body, what, got.value()) : Result<Answer>(got.failure());
      }
    }
    if (!answer && moves_on(answer.failure())) {
      last = answer.failure();
      continue;
    }
    preferred_.store(index);
    return answer;
  }
  Failure failure = *last;
  failure.message = "no etcd member answered; last: " + failure.message;
  return failure;
}

// --- leases ------------------------------------------------------------------------------------

Result<EtcdLease> EtcdClient::grant(std::int64_t ttl_seconds) {
  Poco::JSON::Object request;
  request.set("TTL", std::to_string(ttl_seconds));
  const std::string what = "etcd lease grant";
  auto answer = post("/v3/lease/grant", to_json(request), what);
  if (!answer) return answer.failure();
  try {
    const JsonObject& body = answer.value().body;
    EtcdLease lease{int64_of(body, "ID"), int64_of(body, "TTL")};
    if (lease.id == 0 || lease.ttl <= 0) throw std::invalid_argument("no ID or TTL");
    return lease;
  } catch (const std::exception& e) {
    return Failure{FailureKind::bad_response, 200, "", what + ": " + e.what()};
  }
}

Result<std::int64_t> EtcdClient::keep_alive(std::int64_t lease) {
  Poco::JSON::Object request;
  request.set("ID", std::to_string(lease));
  const std::string what = "etcd lease keepalive";
  // A streaming RPC: one request, so one {"result": {...}} comes back and the stream ends.
  auto answer = post("/v3/lease/keepalive", to_json(request), what);
  if (!answer) return answer.failure();
  try {
    const JsonObject& body = answer.value().body;
    if (!body->isObject("result")) throw std::invalid_argument("no result");
    return int64_of(body->getObject("result"), "TTL");  // absent (0): the lease is gone
  } catch (const std::exception& e) {
    return Failure{FailureKind::bad_response, 200, "", what + ": " + e.what()};
  }
}

Result<bool> EtcdClient::revoke(std::int64_t lease) {
  Poco::JSON::Object request;
  request.set("ID", std::to_string(lease));
  auto answer = post("/v3/lease/revoke", to_json(request), "etcd lease revoke");
  if (answer) return true;
  if (answer.failure().code == "NotFound") return false;  // "requested lease not found"
  return answer.failure();
}

// --- keys --------------------------------------------------------------------------------------

namespace {

Poco::JSON::Object compare(const std::string& key, const std::string& target) {
  Poco::JSON::Object c;
  c.set("key", base64(key));
  c.set("target", target);
  c.set("result", "EQUAL");
  return c;
}

}  // namespace

Result<EtcdTxn> EtcdClient::put_if_absent(const std::string& key, const std::string& value,
                                          std::int64_t lease) {
  Poco::JSON::Object cmp = compare(key, "CREATE");
  cmp.set("create_revision", "0");
  Poco::JSON::Object put;
  put.set("key", base64(key));
  put.set("value", base64(value));
  if (lease != 0) put.set("lease", std::to_string(lease));
  return txn(cmp, "request_put", put, "etcd txn put_if_absent");
}

Result<EtcdTxn> EtcdClient::compare_and_delete(const std::string& key, const std::string& value) {
  Poco::JSON::Object cmp = compare(key, "VALUE");
  cmp.set("value", base64(value));
  Poco::JSON::Object del;
  del.set("key", base64(key));
  return txn(cmp, "request_delete_range", del, "etcd txn compare_and_delete");
}

Result<EtcdTxn> EtcdClient::txn(const Poco::JSON::Object& cmp, const std::string& op_name,
                                const Poco::JSON::Object& op_body, const std::string& what) {
  Poco::JSON::Object op;
  op.set(op_name, op_body);
  Poco::JSON::Array compares, success;
  compares.add(cmp);
  success.add(op);
  Poco::JSON::Object request;
  request.set("compare", compares);
  request.set("success", success);
  auto answer = post("/v3/kv/txn", to_json(request), what);
  if (!answer) return answer.failure();
  try {
    const JsonObject& body = answer.value().body;
    return EtcdTxn{bool_of(body, "succeeded"), header_revision(body)};
  } catch (const std::exception& e) {
    return Failure{FailureKind::bad_response, 200, "", what + ": " + e.what()};
  }
}

Result<EtcdRange> EtcdClient::range(const std::string& prefix) {
  Poco::JSON::Object request;
  request.set("key", base64(prefix.empty() ? std::string(1, '\0') : prefix));
  request.set("range_end", base64(prefix_end(prefix)));
  const std::string what = "etcd range";
  auto answer = post("/v3/kv/range", to_json(request), what);
  if (!answer) return answer.failure();
  try {
    const JsonObject& body = answer.value().body;
    EtcdRange out;
    out.revision = header_revision(body);
    if (auto kvs = body->getArray("kvs"))
      for (std::size_t i = 0; i < kvs->size(); ++i) out.kvs.push_back(kv_of(kvs->getObject(i)));
    return out;
  } catch (const std::exception& e) {
    return Failure{FailureKind::bad_response, 200, "", what + ": " + e.what()};
  }
}

// --- watch -------------------------------------------------------------------------------------

Result<std::int64_t> EtcdClient::watch(const std::string& prefix, std::int64_t from_revision,
                                       const WatchCallback& on_events,
                                       const std::atomic<bool>& stop) {
  std::int64_t next = from_revision;
  std::size_t failures_in_a_row = 0;
  bool reauthenticated = false;
  std::size_t index = preferred_.load();
  while (!stop.load()) {
    if (reaper_->aborting())
      return Failure{FailureKind::aborted, 0, "", "etcd watch: shutting down"};
    Poco::JSON::Object create;
    create.set("key", base64(prefix.empty() ? std::string(1, '\0') : prefix));
    create.set("range_end", base64(prefix_end(prefix)));
    if (next > 0) create.set("start_revision", std::to_string(next));
    Poco::JSON::Object request;
    request.set("create_request", create);
    bool created = false, reauthenticate = false;
    auto window = watch_window(*members_[index], to_json(request), next, on_events, stop, created,
                               reauthenticate);
    if (window) {
      failures_in_a_row = 0;
      reauthenticated = false;
      preferred_.store(index);
      continue;
    }
    const Failure& failure = window.failure();
    if (reauthenticate && !reauthenticated && !options_.username.empty()) {
      reauthenticated = true;  // once in a row: a token refused right after login is final
      std::lock_guard<std::mutex> lock(token_mutex_);
      token_.clear();
      continue;
    }
    if (!moves_on(failure)) return failure;
    if (++failures_in_a_row >= members_.size()) {
      Failure out = failure;
      out.message = "no etcd member could be watched; last: " + out.message;
      return out;
    }
    index = (index + 1) % members_.size();
  }
  return next;
}

Result<std::int64_t> EtcdClient::watch_window(Member& member, const std::string& request_body,
                                              std::int64_t& next_revision,
                                              const WatchCallback& on_events,
                                              const std::atomic<bool>& stop, bool& created,
                                              bool& reauthenticate) {
  const std::string what = "etcd watch at " + member.url;
  std::string current;
  if (!options_.username.empty()) {
    current = token();
    if (current.empty()) {
      auto got = authenticate(member);
      if (!got) return got.failure();
      current = got.value();
    }
  }
  std::string buffer;
  std::optional<Failure> refused;
  // One {"result": {...}} per line (grpc-gateway's stream framing).
  const auto on_line = [&](const std::string& line) -> bool {
    JsonObject message;
    try {
      message = parse_object(line);
    } catch (const std::exception&) {
      refused = Failure{FailureKind::bad_response, 200, "", what + ": a message is not JSON"};
      return false;
    }
    if (message->isObject("error")) {
      refused = etcd_error(200, message, what);
      reauthenticate = token_refused(*refused);
      return false;
    }
    try {
      JsonObject result = message->getObject("result");
      if (!result) throw std::invalid_argument("no result");
      if (bool_of(result, "canceled")) {
        const std::int64_t compacted = int64_of(result, "compact_revision");
        const std::string reason = string_of(result, "cancel_reason");
        if (compacted > 0) {
          refused = Failure{FailureKind::service_error, 200, "Compacted",
                            what + ": revision " + std::to_string(next_revision) +
                                " is compacted; the oldest kept is " + std::to_string(compacted)};
        } else {
          refused = Failure{FailureKind::service_error, 200, "Canceled",
                            what + ": canceled: " + reason.substr(0, 300)};
          reauthenticate = reason.find("auth token") != std::string::npos ||
                           reason.find("Unauthenticated") != std::string::npos;
        }
        return false;
      }
      if (bool_of(result, "created")) {
        created = true;
        // "From now on": the next window resumes right after the revision it started at.
        if (next_revision <= 0) next_revision = header_revision(result) + 1;
      }
      if (auto events = result->getArray("events")) {
        std::vector<EtcdEvent> out;
        for (std::size_t i = 0; i < events->size(); ++i) {
          JsonObject event = events->getObject(i);
          EtcdEvent e;
          e.type =
              string_of(event, "type") == "DELETE" ? EtcdEvent::Type::del : EtcdEvent::Type::put;
          e.kv = kv_of(event->getObject("kv"));
          next_revision = std::max(next_revision, e.kv.mod_revision + 1);
          out.push_back(std::move(e));
        }
        if (!out.empty()) on_events(out);
      }
    } catch (const std::exception& e) {
      refused = Failure{FailureKind::bad_response, 200, "", what + ": " + e.what()};
      return false;
    }
    return !stop.load();
  };

  HttpCall call;
  call.method = "POST";
  call.target = "/v3/watch";
  call.body = request_body;
  call.content_type = "application/json";
  call.what = what;
  if (!current.empty()) call.headers.emplace_back("Authorization", current);
  bool stopped = false;
  const auto sink = [&](const char* data, std::size_t size) {
    buffer.append(data, size);
    for (std::size_t end; (end = buffer.find('\n')) != std::string::npos;) {
      const std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      if (!on_line(line)) {
        stopped = !refused;
        return false;
      }
    }
    if (buffer.size() > kMaxAnswerBytes) {
      refused = Failure{FailureKind::bad_response, 200, "", what + ": a message exceeds the limit"};
      return false;
    }
    return true;
  };
  ExchangeLimits limits{steady_clock::now() + options_.watch_window, kMaxAnswerBytes};
  Result<HttpAnswer> answer = member.connections->exchange(call, limits, {}, sink);
  if (refused) return *refused;
  if (stopped) return next_revision;
  if (!answer) {
    // The window's end: the stream was running and simply lasted until the deadline.
    if (answer.failure().kind == FailureKind::timeout && created) return next_revision;
    return answer.failure();
  }
  if (answer.value().status / 100 != 2) {
    JsonObject body;
    try {
      body = parse_object(buffer);
    } catch (const std::exception&) {
      return Failure{FailureKind::service_error, answer.value().status,
                     grpc_code_name(answer.value().status == 503 ? 14 : 2),
                     what + ": HTTP " + std::to_string(answer.value().status)};
    }
    Failure failure = etcd_error(answer.value().status, body, what);
    reauthenticate = token_refused(failure);
    return failure;
  }
  return next_revision;  // the member ended the stream: the next window resumes
}

}  // namespace nw
