#include "nw/io/neptune_client.h"

#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>

#include "nw/core/neptune_error.h"
#include "nw/core/url_encode.h"
#include "nw/io/credentials.h"
#include "nw/io/http_exchange.h"
#include "nw/io/request_signer.h"
#include "nw/io/tls_context.h"

namespace nw {
namespace {

using Poco::Net::HTTPRequest;

std::string_view path_segment(Language language, ApiForm api) {
  switch (language) {
    case Language::gremlin:
      return "/gremlin/status";
    case Language::sparql:
      return "/sparql/status";
    case Language::opencypher:
      return api == ApiForm::rest ? "/opencypher/status" : "/openCypher/status";
  }
  return "/opencypher/status";
}

// A request as sent: method, path with query string, and a form body for POST.
struct WireRequest {
  std::string method;
  std::string target;
  std::string form_body;
};

// A short, printable excerpt of a body that is not Neptune's JSON error (for logs/audit).
std::string excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7F) ? c : ' ';
  return out;
}

HttpOrigin origin_of(const EndpointConfig& endpoint) {
  HttpOrigin origin;
  origin.https = endpoint.url.https;
  origin.host = endpoint.url.host;
  origin.port = endpoint.url.port;
  origin.server_name = endpoint.tls_server_name;
  // connect_to: dial elsewhere, but speak to the real name and port.
  if (const auto target =
          connect_to_target(endpoint.connect_to, endpoint.url.host, endpoint.url.port)) {
    origin.host = target->first;
    origin.port = target->second;
    if (origin.server_name.empty()) origin.server_name = endpoint.url.host;
    origin.server_port = endpoint.url.port;
  }
  if (origin.https) {
    try {
      origin.tls = make_client_tls_context(endpoint.ca_file);
    } catch (const Poco::Exception& e) {
      const std::string key =
          "endpoint." + endpoint.name + (endpoint.ca_file.empty() ? ".url" : ".ca_file");
      throw EndpointSetupError(key, "cannot set up TLS: " + e.displayText());
    }
  }
  return origin;
}

class PocoNeptuneClient final : public NeptuneClient {
 public:
  PocoNeptuneClient(const EndpointConfig& endpoint, Language language,
                    std::shared_ptr<CredentialChain> credentials,
                    std::shared_ptr<ExchangeReaper> reaper)
      : endpoint_(endpoint),
        language_(language),
        base_path_(path_segment(language, endpoint.api)),
        credentials_(std::move(credentials)),
        connections_(origin_of(endpoint), std::move(reaper), kMaxIdleConnections) {
    if (endpoint.auth == AuthMode::iam && !credentials_)
      throw EndpointSetupError("endpoint." + endpoint.name + ".auth",
                               "auth = iam needs a credential chain");
  }

  Result<StatusSnapshot> list_queries() override {
    WireRequest req;
    const bool waiting = endpoint_.include_waiting && language_ != Language::sparql;
    if (endpoint_.api == ApiForm::rest && language_ != Language::sparql) {
      req = {HTTPRequest::HTTP_GET,
             std::string(base_path_) + (waiting ? "?includeWaiting=true" : ""), ""};
    } else {
      req = {HTTPRequest::HTTP_POST, std::string(base_path_), waiting ? "includeWaiting=true" : ""};
    }
    auto reply = exchange(req);
    if (!reply) return reply.failure();
    const auto& [status, body, content_type] = reply.value();
    if (status / 100 != 2) return error_from(status, body, false);
    if (auto page = web_page_refused(status, content_type)) return *page;
    return parse_status_answer(body, language_);
  }

  Result<QueryStatus> get_query(const std::string& query_id) override {
    WireRequest req;
    if (endpoint_.api == ApiForm::rest && language_ != Language::sparql) {
      req = {HTTPRequest::HTTP_GET, std::string(base_path_) + "/" + url_encode(query_id), ""};
    } else {
      req = {HTTPRequest::HTTP_POST, std::string(base_path_), "queryId=" + url_encode(query_id)};
    }
    auto reply = exchange(req);
    if (!reply) return reply.failure();
    const auto& [status, body, content_type] = reply.value();
    // An unknown id is answered as a cancel of one is: the query has ended.
    if (status / 100 != 2) return error_from(status, body, true);
    if (auto page = web_page_refused(status, content_type)) return *page;
    return parse_query_status_body(body, query_id, language_);
  }

  Result<CancelAck> cancel_query(const std::string& query_id, bool silent) override {
    // Gremlin's cancel has no `silent`; sending it would be an unknown parameter.
    silent = silent && language_ != Language::gremlin;
    WireRequest req;
    if (endpoint_.api == ApiForm::rest && language_ != Language::sparql) {
      req = {HTTPRequest::HTTP_DELETE,
             std::string(base_path_) + "/" + url_encode(query_id) + (silent ? "?silent=true" : ""),
             ""};
    } else {
      req = {HTTPRequest::HTTP_POST, std::string(base_path_),
             "cancelQuery&queryId=" + url_encode(query_id) + (silent ? "&silent=true" : "")};
    }
    auto reply = exchange(req);
    if (!reply) return reply.failure();
    const auto& [status, body, content_type] = reply.value();
    if (status / 100 != 2) return error_from(status, body, true);
    return parse_cancel_reply(body, language_);
  }

 private:
  // The poll, a crossing check and the default max_cancels_in_flight.
  static constexpr std::size_t kMaxIdleConnections = 6;

  // A proxy's or a load balancer's page is not Neptune's answer, however JSON-like its body.
  static std::optional<Failure> web_page_refused(int status, const std::string& content_type) {
    if (!is_web_page(content_type)) return std::nullopt;
    return Failure{FailureKind::bad_response, status, "",
                   "status answered with Content-Type '" + excerpt(content_type) +
                       "', not Neptune's JSON: is a proxy in the way?"};
  }
  static bool is_web_page(const std::string& content_type) {
    std::string media = content_type.substr(0, content_type.find(';'));
    media.erase(media.find_last_not_of(" \t") + 1);
    media.erase(0, media.find_first_not_of(" \t"));
    for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return media == "text/html" || media == "application/xhtml+xml";
  }

  // `is_cancel`: the request named one query (a cancel or a single-query status), so an answer
  // that the id is unknown means the query has ended. When Neptune rejects the credentials
  // themselves (expired, rotated) they are looked up afresh next time; an AccessDenied of a
  // valid identity keeps them (new ones would not help, and under IRSA each lookup is an STS
  // call).
  Failure error_from(int status, const std::string& body, bool is_cancel) const {
    const auto e = parse_error_body(body);
    Failure f = e ? classify_neptune_error(status, e->code, e->message, is_cancel)
                  : classify_neptune_error(status, "", excerpt(body), is_cancel);
    // SPARQL's servlet rejects an id it cannot use in plain text ("Invalid queryId ..."):
    // no query by that id is running, so there is nothing left to cancel.
    if (!e && is_cancel && language_ == Language::sparql && status == 400 &&
        body.find("queryId") != std::string::npos)
      f.kind = FailureKind::query_not_found;
    if (credentials_ && credentials_rejected(status, f.code, f.message))
      credentials_->invalidate(std::chrono::system_clock::now());
    return f;
  }

  // Sends exactly one request, on a connection of its own, and reads the whole answer.
  Result<HttpAnswer> exchange(const WireRequest& req) {
    HttpCall call;
    call.method = req.method;
    call.target = req.target;
    call.headers = {{"Accept", "application/json"}};
    call.body = req.form_body;
    if (req.method == HTTPRequest::HTTP_POST)
      call.content_type = "application/x-www-form-urlencoded";
    const ExchangeLimits limits{std::chrono::steady_clock::now() + endpoint_.request_timeout,
                                endpoint_.max_response_bytes};
    HttpConnections::Prepare prepare;
    // Nothing is sent when no credentials can be had (nw/io/request_signer.h).
    if (credentials_)
      prepare = [&](HTTPRequest& request) {
        return sign_request(request, req.target, req.form_body, *credentials_, endpoint_.region,
                            "neptune-db");
      };
    return connections_.exchange(call, limits, prepare);
  }

  EndpointConfig endpoint_;
  Language language_;
  std::string_view base_path_;
  std::shared_ptr<CredentialChain> credentials_;
  HttpConnections connections_;
};

}  // namespace

std::unique_ptr<NeptuneClient> make_neptune_client(const EndpointConfig& endpoint,
                                                   Language language,
                                                   std::shared_ptr<CredentialChain> credentials,
                                                   std::shared_ptr<ExchangeReaper> reaper) {
  return std::make_unique<PocoNeptuneClient>(endpoint, language, std::move(credentials),
                                             std::move(reaper));
}

}  // namespace nw
