#include "nw/io/neptune_client.h"

#include <cctype>
#include <chrono>
#include <istream>
#include <mutex>
#include <vector>
#include <optional>
#include <stdexcept>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include "nw/core/neptune_error.h"
#include "nw/io/credentials.h"
#include "nw/io/sigv4.h"

namespace nw {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

std::string url_encode(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]%\"<>\\^`{|} ", out);
  return out;
}

std::string_view path_segment(Language language, ApiForm api) {
  switch (language) {
    case Language::gremlin: return "/gremlin/status";
    case Language::sparql: return "/sparql/status";
    case Language::opencypher: return api == ApiForm::rest ? "/opencypher/status" : "/openCypher/status";
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

Poco::Net::Context::Ptr make_tls_context(const EndpointConfig& endpoint) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = endpoint.ca_file;
  params.loadDefaultCAs = endpoint.ca_file.empty();
  // STRICT also checks the host name for loopback addresses, where RELAXED would skip it.
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.cipherList = "HIGH:!aNULL:!MD5";
  try {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
  } catch (const Poco::Exception& e) {
    const std::string key = "endpoint." + endpoint.name + (endpoint.ca_file.empty() ? ".url" : ".ca_file");
    throw EndpointSetupError(key, "cannot set up TLS: " + e.displayText());
  }
}

// An HTTPS session that dials one address (a tunnel's, e.g. 127.0.0.1) but verifies, and
// sends SNI for, another name. Poco verifies the socket's peer host name and only sets it from
// the session's host when it is empty, so setting it before each connect is enough.
class TunnelledHttpsSession final : public Poco::Net::HTTPSClientSession {
 public:
  TunnelledHttpsSession(const std::string& server_name, const std::string& dial_host, Poco::UInt16 port,
                        Poco::Net::Context::Ptr context)
      : HTTPSClientSession(dial_host, port, std::move(context)), server_name_(server_name) {}

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    Poco::Net::SecureStreamSocket(socket()).setPeerHostName(server_name_);
    HTTPSClientSession::connect(address);
  }

 private:
  std::string server_name_;
};

class PocoNeptuneClient final : public NeptuneClient {
 public:
  PocoNeptuneClient(const EndpointConfig& endpoint, Language language,
                    std::shared_ptr<CredentialChain> credentials)
      : endpoint_(endpoint),
        language_(language),
        base_path_(path_segment(language, endpoint.api)),
        credentials_(std::move(credentials)) {
    if (endpoint.auth == AuthMode::iam && !credentials_)
      throw EndpointSetupError("endpoint." + endpoint.name + ".auth", "auth = iam needs a credential chain");
    if (endpoint.url.https) context_ = make_tls_context(endpoint);
    idle_.push_back(make_session());  // the first connection is made by the first request
  }

  Result<StatusSnapshot> list_queries() override {
    WireRequest req;
    const bool waiting = endpoint_.include_waiting && language_ != Language::sparql;
    if (endpoint_.api == ApiForm::rest && language_ != Language::sparql) {
      req = {HTTPRequest::HTTP_GET, std::string(base_path_) + (waiting ? "?includeWaiting=true" : ""), ""};
    } else {
      req = {HTTPRequest::HTTP_POST, std::string(base_path_), waiting ? "includeWaiting=true" : ""};
    }
    auto reply = exchange(req);
    if (!reply) return reply.failure();
    const auto& [status, body, content_type] = reply.value();
    if (status / 100 != 2) return error_from(status, body, false);
    if (auto page = web_page_refused(status, content_type)) return *page;
    return parse_status_body(body, language_);
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
             std::string(base_path_) + "/" + url_encode(query_id) + (silent ? "?silent=true" : ""), ""};
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
  // A complete answer: status, body and Content-Type (HTML only ever comes from something
  // between us and Neptune: Neptune answers JSON, or plain text for some SPARQL errors).
  struct Reply {
    int status;
    std::string body;
    std::string content_type;
  };
  using Session = Poco::Net::HTTPClientSession;

  std::unique_ptr<Session> make_session() const {
    std::unique_ptr<Session> session;
    if (endpoint_.url.https && !endpoint_.tls_server_name.empty()) {
      session = std::make_unique<TunnelledHttpsSession>(endpoint_.tls_server_name, endpoint_.url.host,
                                                        endpoint_.url.port, context_);
    } else if (endpoint_.url.https) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(endpoint_.url.host, endpoint_.url.port, context_);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(endpoint_.url.host, endpoint_.url.port);
    }
    // NetSSL waits up to twice a socket timeout on reads; the overall deadline below caps it.
    const auto socket_timeout = endpoint_.url.https ? endpoint_.request_timeout / 2 : endpoint_.request_timeout;
    const Poco::Timespan t(std::chrono::duration_cast<std::chrono::microseconds>(socket_timeout).count());
    session->setTimeout(t, t, t);
    session->setKeepAlive(true);
    // Longer than any sensible poll interval, so that a connection is reused between polls.
    session->setKeepAliveTimeout(Poco::Timespan(300, 0));
    return session;
  }

  // A connection of its own for each exchange: the poll and the cancels of one loop run on
  // different workers at once. Idle ones are kept (kept alive) for the next exchange.
  std::unique_ptr<Session> lease() {
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      if (!idle_.empty()) {
        auto session = std::move(idle_.back());
        idle_.pop_back();
        return session;
      }
    }
    return make_session();
  }
  void give_back(std::unique_ptr<Session> session) {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (idle_.size() < kMaxIdleSessions) idle_.push_back(std::move(session));
  }
  // The poll, a crossing check and the default max_cancels_in_flight.
  static constexpr std::size_t kMaxIdleSessions = 6;

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
  // that the id is unknown means the query has ended.
  Failure error_from(int status, const std::string& body, bool is_cancel) const {
    if (auto e = parse_error_body(body)) return classify_neptune_error(status, e->code, e->message, is_cancel);
    Failure f = classify_neptune_error(status, "", excerpt(body), is_cancel);
    // SPARQL's servlet rejects an id it cannot use in plain text ("Invalid queryId ..."):
    // no query by that id is running, so there is nothing left to cancel.
    if (is_cancel && language_ == Language::sparql && status == 400 &&
        body.find("queryId") != std::string::npos)
      f.kind = FailureKind::query_not_found;
    return f;
  }

  // Sends exactly one request, on a connection of its own, and reads the whole answer.
  Result<Reply> exchange(const WireRequest& req) {
    std::unique_ptr<Session> session = lease();
    Result<Reply> reply = exchange_on(*session, req);
    give_back(std::move(session));
    return reply;
  }

  Result<Reply> exchange_on(Session& session, const WireRequest& req) {
    const auto deadline = Clock::now() + endpoint_.request_timeout;
    try {
      // An idle kept-alive connection has nothing to read unless the server closed it (EOF).
      // Such a connection would fail the request, so start a fresh one before sending.
      if (session.connected() &&
          session.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ))
        session.reset();
      HTTPRequest request(req.method, req.target, Poco::Net::HTTPMessage::HTTP_1_1);
      request.setHost(endpoint_.tls_server_name.empty() ? endpoint_.url.host : endpoint_.tls_server_name,
                      endpoint_.url.port);
      request.set("User-Agent", "neptune-watchdog/" NW_VERSION);
      request.set("Accept", "application/json");
      request.setKeepAlive(true);
      if (req.method == HTTPRequest::HTTP_POST) {
        request.setContentType("application/x-www-form-urlencoded");
        request.setContentLength(static_cast<std::streamsize>(req.form_body.size()));
      }
      if (credentials_) {
        if (auto refused = sign(request, req)) return *refused;
      }
      std::ostream& out = session.sendRequest(request);
      out << req.form_body;

      HTTPResponse response;
      std::istream& in = session.receiveResponse(response);
      if (response.hasContentLength() &&
          response.getContentLength64() > static_cast<Poco::Int64>(endpoint_.max_response_bytes)) {
        session.reset();
        return Failure{FailureKind::bad_response, response.getStatus(), "",
                       "response of " + std::to_string(response.getContentLength64()) +
                           " bytes exceeds the limit of " + std::to_string(endpoint_.max_response_bytes)};
      }
      // Read whatever has arrived, so that a peer trickling bytes cannot hold the request past
      // its deadline. Stream errors surface as the underlying Poco exception.
      in.exceptions(std::ios::badbit);
      std::string body;
      char buffer[16384];
      while (in.peek() != std::char_traits<char>::eof()) {
        const auto n = in.readsome(buffer, sizeof buffer);
        body.append(buffer, static_cast<std::size_t>(n));
        if (body.size() > endpoint_.max_response_bytes) {
          session.reset();
          return Failure{FailureKind::bad_response, response.getStatus(), "",
                         "response exceeds the limit of " + std::to_string(endpoint_.max_response_bytes) + " bytes"};
        }
        if (Clock::now() > deadline) {
          session.reset();
          return Failure{FailureKind::timeout, 0, "", "response not complete within request_timeout"};
        }
      }
      if (response.hasContentLength() &&
          static_cast<Poco::Int64>(body.size()) != response.getContentLength64()) {
        session.reset();
        return Failure{FailureKind::transport, response.getStatus(), "",
                       "connection closed after " + std::to_string(body.size()) + " of " +
                           std::to_string(response.getContentLength64()) + " bytes"};
      }
      if (!response.getKeepAlive()) session.reset();
      // Rejected credentials (expired, rotated): look them up afresh for the next request.
      if (credentials_ && response.getStatus() == HTTPResponse::HTTP_FORBIDDEN) credentials_->invalidate();
      return Reply{static_cast<int>(response.getStatus()), std::move(body), response.getContentType()};
    } catch (const Poco::TimeoutException& e) {
      session.reset();
      return Failure{FailureKind::timeout, 0, "", e.displayText()};
    } catch (const Poco::Net::SSLException& e) {
      // A certificate that does not verify will not verify on the next try either. (Includes
      // CertificateValidationException, which is an SSLException.)
      session.reset();
      const std::string name = endpoint_.tls_server_name.empty() ? endpoint_.url.host : endpoint_.tls_server_name;
      return Failure{FailureKind::tls, 0, "",
                     "handshake with " + name + ":" + std::to_string(endpoint_.url.port) + " failed: " +
                         e.displayText()};
    } catch (const Poco::Exception& e) {
      session.reset();
      return Failure{FailureKind::transport, 0, "", e.displayText()};
    } catch (const std::exception& e) {
      session.reset();
      return Failure{FailureKind::transport, 0, "", e.what()};
    }
  }

  // SigV4 over exactly what goes on the wire: the Host value Poco will send, the path and
  // query as sent, the content type of a form, and the body. Returns a Failure when no
  // credentials can be had; nothing is sent then.
  std::optional<Failure> sign(HTTPRequest& request, const WireRequest& req) {
    const auto now = std::chrono::system_clock::now();
    auto credentials = credentials_->get(now);
    if (!credentials) {
      Failure f = credentials.failure();
      f.kind = FailureKind::credentials;
      return f;
    }
    const auto q = req.target.find('?');
    SigningRequest signing;
    signing.method = req.method;
    signing.path = req.target.substr(0, q);
    signing.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    signing.headers.emplace_back("Host", request.getHost());
    if (req.method == HTTPRequest::HTTP_POST) signing.headers.emplace_back("Content-Type", request.getContentType());
    signing.body = req.form_body;
    try {
      nw::sign(signing, credentials.value(), endpoint_.region, "neptune-db", now);
    } catch (const std::invalid_argument& e) {
      return Failure{FailureKind::credentials, 0, "", std::string("cannot sign the request: ") + e.what()};
    }
    for (const auto& [name, value] : signing.headers)
      if (name != "Host" && name != "Content-Type") request.set(name, value);
    return std::nullopt;
  }

  EndpointConfig endpoint_;
  Language language_;
  std::string_view base_path_;
  std::shared_ptr<CredentialChain> credentials_;
  Poco::Net::Context::Ptr context_;  // shared by every connection of this client (HTTPS)
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Session>> idle_;
};

}  // namespace

std::unique_ptr<NeptuneClient> make_neptune_client(const EndpointConfig& endpoint, Language language,
                                                   std::shared_ptr<CredentialChain> credentials) {
  return std::make_unique<PocoNeptuneClient>(endpoint, language, std::move(credentials));
}

}  // namespace nw
