// The providers that ask a service: STS (web identity), the container credentials endpoint and
// the EC2 instance metadata service. Every exchange stays within the lookup's deadline, every
// exception becomes a Failure, and no message quotes a body, a header or a token.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <istream>
#include <mutex>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include "nw/core/rfc3339.h"
#include "nw/io/credentials.h"
#include "nw/io/file_trust.h"
#include "nw/io/http_exchange.h"
#include "nw/io/sts.h"

namespace nw {
namespace {

using Poco::Net::HTTPRequest;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxCredentialBody = 1u << 20;

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string env_value(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  return value ? *value : std::string();
}

// A token file (web identity, container authorization), trimmed, at most 64 KiB; nullopt when
// it cannot be read, or (with `refused` saying why) when others could change it.
std::optional<std::string> read_token_file(const std::string& path, std::string& refused) {
  TrustedFileRead file = read_trusted_file(path, kCredentialFileHarm, 64u << 10);
  refused = file.refused.empty() ? std::string() : path + " " + file.refused;
  if (file.too_large) return std::nullopt;
  return file.text ? std::optional<std::string>(trim(*file.text)) : std::nullopt;
}

// --- one origin, a few HTTP/1.1 exchanges within a deadline ---------------------------------

struct HttpTarget {
  bool https = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path_etc = "/";
};

std::optional<HttpTarget> parse_target(const std::string& url) {
  try {
    const Poco::URI uri(url);
    HttpTarget t;
    if (uri.getScheme() == "https") {
      t.https = true;
    } else if (uri.getScheme() != "http") {
      return std::nullopt;
    }
    if (uri.getHost().empty() || !uri.getUserInfo().empty()) return std::nullopt;
    t.host = uri.getHost();
    t.port = uri.getPort();
    t.path_etc = uri.getPathEtc();
    if (t.path_etc.empty()) t.path_etc = "/";
    return t;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  Poco::Net::IPAddress ip;
  return Poco::Net::IPAddress::tryParse(host, ip) && ip.isLoopback();
}

struct HttpReply {
  int status = 0;
  std::string body;
};

// The few exchanges of one lookup with one origin, on one kept-alive connection, all within
// the lookup's deadline.
class HttpExchange {
 public:
  HttpExchange(const HttpTarget& target, const CredentialRequest& request)
      : connections_(origin_of(target, request), request.reaper, 1), deadline_(request.deadline) {}

  // `what` names the request in messages ("PUT /latest/api/token"); never a token or a body.
  Result<HttpReply> send(const std::string& method, const std::string& path_etc,
                         const Headers& headers, const std::string& what,
                         const std::string& body = "", const std::string& content_type = "") {
    const HttpCall call{method, path_etc, headers, body, content_type, what};
    auto answer = connections_.exchange(call, ExchangeLimits{deadline_, kMaxCredentialBody});
    if (!answer) return answer.failure();
    return HttpReply{answer.value().status, std::move(answer.value().body)};
  }

 private:
  static HttpOrigin origin_of(const HttpTarget& target, const CredentialRequest& request) {
    HttpOrigin origin;
    origin.https = target.https;
    origin.host = target.host;
    origin.port = target.port;
    if (target.https) origin.tls = request.tls();
    return origin;
  }

  HttpConnections connections_;
  steady_clock::time_point deadline_;
};

ProviderAttempt failed(Failure failure, std::string detail = {}, bool ends_chain = false) {
  ProviderAttempt attempt;
  attempt.outcome = ProviderAttempt::Outcome::failed;
  attempt.failure = std::move(failure);
  attempt.detail = std::move(detail);
  attempt.ends_chain = ends_chain;
  return attempt;
}

ProviderAttempt found(AwsCredentials credentials, std::string detail) {
  ProviderAttempt attempt;
  attempt.outcome = ProviderAttempt::Outcome::found;
  attempt.credentials = std::move(credentials);
  attempt.detail = std::move(detail);
  return attempt;
}

bool is_identifier(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// The container endpoint's and the metadata service's JSON. `what` prefixes messages.
Result<AwsCredentials> parse_credentials_json(const std::string& body, const std::string& what,
                                              bool expiration_required) {
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    object = nullptr;
  }
  if (!object)
    return Failure{FailureKind::bad_response, 0, "", what + ": the answer is not a JSON object"};
  const auto text = [&](const char* key) -> std::optional<std::string> {
    if (!object->has(key)) return std::nullopt;
    const Poco::Dynamic::Var v = object->get(key);
    if (!v.isString()) return std::nullopt;
    return v.extract<std::string>();
  };
  if (const auto code = text("Code"); code && *code != "Success") {
    return Failure{FailureKind::service_error, 0, is_identifier(*code) ? *code : "",
                   what + ": the credentials are not available (Code is not Success)"};
  }
  AwsCredentials c;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"AccessKeyId", &c.access_key_id},
                          {"SecretAccessKey", &c.secret_access_key}}) {
    const auto value = text(key);
    if (!value || value->empty())
      return Failure{FailureKind::bad_response, 0, "", what + ": the answer has no " + key};
    *out = *value;
  }
  c.session_token = text("Token").value_or("");
  if (const auto expiration = text("Expiration")) {
    c.expiration = parse_rfc3339(*expiration);
    if (!c.expiration)
      return Failure{FailureKind::bad_response, 0, "",
                     what + ": Expiration is not an ISO-8601 time"};
  } else if (expiration_required) {
    return Failure{FailureKind::bad_response, 0, "", what + ": the answer has no Expiration"};
  }
  return c;
}

// --- web identity (STS AssumeRoleWithWebIdentity) -------------------------------------------

class WebIdentityProvider final : public CredentialsProvider {
 public:
  std::string_view name() const override { return "web identity"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    const std::string token_file = env_value(request.env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const std::string role_arn = env_value(request.env, "AWS_ROLE_ARN");
    if (token_file.empty() && role_arn.empty()) {
      ProviderAttempt attempt;
      attempt.detail = "not set";
      return attempt;
    }
    if (token_file.empty() || role_arn.empty()) {
      return failed({FailureKind::service_error, 0, "PartialCredentials",
                     token_file.empty()
                         ? "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"
                         : "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"});
    }
    std::string refused;
    const auto token = read_token_file(token_file, refused);
    if (!refused.empty())
      return failed({FailureKind::service_error, 0, "UntrustedFile", refused}, {}, true);
    if (!token || token->empty()) {
      return failed({FailureKind::transport, 0, "",
                     "AWS_WEB_IDENTITY_TOKEN_FILE " + token_file +
                         (token ? " is empty" : " cannot be read")});
    }

    std::string session_name = env_value(request.env, "AWS_ROLE_SESSION_NAME");
    if (session_name.empty()) {
      session_name = "neptune-watchdog-" +
                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        request.now.time_since_epoch())
                                        .count());
    }
    auto c = sts_assume_role_with_web_identity(request, role_arn, session_name, *token);
    if (!c) return failed(c.failure());
    return found(std::move(c.value()), "role " + role_arn);
  }
};

// --- container credentials (ECS, EKS Pod Identity) -------------------------------------------

bool container_host_allowed(const std::string& host) {
  if (is_loopback(host)) return true;
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(host, ip)) return false;
  for (const char* allowed : {"169.254.170.2", "169.254.170.23", "fd00:ec2::23"}) {
    if (ip == Poco::Net::IPAddress(allowed)) return true;
  }
  return false;
}

class ContainerProvider final : public CredentialsProvider {
 public:
  std::string_view name() const override { return "container"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    const std::string relative = env_value(request.env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const std::string full = env_value(request.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative.empty() && full.empty()) {
      ProviderAttempt attempt;
      attempt.detail = "not set";
      return attempt;
    }
    // From here on the container's variables are set: the metadata service is not tried.
    std::optional<HttpTarget> target;
    std::string detail;
    if (!relative.empty()) {
      detail = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
      if (relative[0] == '/') target = parse_target("http://169.254.170.2" + relative);
      if (!target)
        return failed({FailureKind::service_error, 0, "", detail + " is not a path"}, detail, true);
    } else {
      detail = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
      target = parse_target(full);
      if (!target)
        return failed({FailureKind::service_error, 0, "", detail + " is not an http(s) URL"},
                      detail, true);
      if (!target->https && !container_host_allowed(target->host)) {
        return failed(
            {FailureKind::service_error, 0, "",
             detail + " must be https, loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23"},
            detail, true);
      }
    }

    Headers headers{{"Accept", "application/json"}};
    std::string authorization;
    const std::string token_file = env_value(request.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (!token_file.empty()) {
      std::string refused;
      const auto token = read_token_file(token_file, refused);
      if (!refused.empty())
        return failed({FailureKind::service_error, 0, "UntrustedFile", refused}, detail, true);
      if (!token)
        return failed({FailureKind::transport, 0, "",
                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + token_file + " cannot be read"},
                      detail, true);
      authorization = *token;
    } else {
      authorization = env_value(request.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (authorization.find_first_of("\r\n") != std::string::npos) {
      return failed({FailureKind::service_error, 0, "",
                     "the container authorization token contains a line break"},
                    detail, true);
    }
    if (!authorization.empty()) headers.emplace_back("Authorization", authorization);

    const std::string what = "container endpoint (" + detail + ")";
    HttpExchange http(*target, request);
    auto reply = http.send(HTTPRequest::HTTP_GET, target->path_etc, headers, "GET " + what);
    if (!reply) return failed(reply.failure(), detail, true);
    if (reply.value().status / 100 != 2) {
      return failed({FailureKind::service_error, reply.value().status, "",
                     what + " answered HTTP " + std::to_string(reply.value().status)},
                    detail, true);
    }
    auto credentials = parse_credentials_json(reply.value().body, what, false);
    if (!credentials) return failed(credentials.failure(), detail, true);
    auto attempt = found(std::move(credentials.value()), detail);
    attempt.ends_chain = true;
    return attempt;
  }
};

// --- EC2 instance metadata (IMDSv2) ----------------------------------------------------------

class InstanceMetadataProvider final : public CredentialsProvider {
 public:
  std::string_view name() const override { return "instance metadata"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    std::string disabled = env_value(request.env, "AWS_EC2_METADATA_DISABLED");
    std::transform(disabled.begin(), disabled.end(), disabled.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (trim(disabled) == "true") {
      ProviderAttempt attempt;
      attempt.detail = "disabled by AWS_EC2_METADATA_DISABLED";
      return attempt;
    }
    std::string endpoint = env_value(request.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (endpoint.empty()) {
      std::string mode = env_value(request.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
      std::transform(mode.begin(), mode.end(), mode.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      endpoint = mode == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
    }
    const auto target = parse_target(endpoint);
    if (!target)
      return failed({FailureKind::service_error, 0, "",
                     "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http(s) URL"});
    std::string base = target->path_etc;
    while (!base.empty() && base.back() == '/') base.pop_back();

    std::lock_guard<std::mutex> lock(mutex_);
    HttpExchange http(*target, request);
    if (endpoint != token_endpoint_ || request.now >= token_expiry_) token_.clear();
    bool refreshed = false;

    // A GET with the session token; a 401 (token expired or revoked) gets one new token.
    const auto get = [&](const std::string& path) -> Result<HttpReply> {
      for (;;) {
        if (token_.empty()) {
          auto t = fetch_token(http, base, request.now);
          if (!t) return t.failure();
          token_endpoint_ = endpoint;
        }
        auto reply = http.send(HTTPRequest::HTTP_GET, base + path,
                               {{"X-aws-ec2-metadata-token", token_}}, "GET " + path);
        if (reply && reply.value().status == 401 && !refreshed) {
          refreshed = true;
          token_.clear();
          continue;
        }
        if (reply && reply.value().status == 401) token_.clear();
        return reply;
      }
    };

    const std::string list = "/latest/meta-data/iam/security-credentials/";
    auto roles = get(list);
    if (!roles) return failed(roles.failure());
    if (roles.value().status == 404)
      return failed(
          {FailureKind::service_error, 404, "",
           "no IAM role is attached to this instance (GET " + list + " answered HTTP 404)"});
    if (roles.value().status != 200)
      return failed({FailureKind::service_error, roles.value().status, "",
                     "GET " + list + " answered HTTP " + std::to_string(roles.value().status)});
    const std::string role = trim(roles.value().body.substr(0, roles.value().body.find('\n')));
    const bool role_ok =
        !role.empty() && role.size() <= 128 && std::all_of(role.begin(), role.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("+=,.@_-").find(c) != std::string_view::npos;
        });
    if (!role_ok)
      return failed(
          {FailureKind::bad_response, 200, "", "GET " + list + " did not answer with a role name"});

    auto reply = get(list + role);
    if (!reply) return failed(reply.failure());
    if (reply.value().status != 200) {
      return failed(
          {FailureKind::service_error, reply.value().status, "",
           "GET " + list + role + " answered HTTP " + std::to_string(reply.value().status)});
    }
    auto credentials = parse_credentials_json(reply.value().body, "GET " + list + role, true);
    if (!credentials) return failed(credentials.failure());
    return found(std::move(credentials.value()), "role " + role);
  }

 private:
  Result<bool> fetch_token(HttpExchange& http, const std::string& base,
                           system_clock::time_point now) {
    const std::string path = "/latest/api/token";
    auto reply = http.send(HTTPRequest::HTTP_PUT, base + path,
                           {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, "PUT " + path);
    if (!reply) return reply.failure();
    const int status = reply.value().status;
    if (status != 200) {
      return Failure{
          FailureKind::service_error, status, "",
          "PUT " + path + " answered HTTP " + std::to_string(status) +
              (status == 403
                   ? " (IMDSv2 tokens refused; from a container the hop limit must be 2 or more)"
                   : "")};
    }
    std::string token = trim(reply.value().body);
    const bool printable =
        !token.empty() && token.size() <= 1024 &&
        std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (!printable)
      return Failure{FailureKind::bad_response, status, "",
                     "PUT " + path + " did not answer with a token"};
    token_ = std::move(token);
    token_expiry_ = now + std::chrono::seconds(21600 - 5);
    return true;
  }

  std::mutex mutex_;
  std::string token_;
  std::string token_endpoint_;
  system_clock::time_point token_expiry_{};
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_web_identity_provider() {
  return std::make_unique<WebIdentityProvider>();
}

std::unique_ptr<CredentialsProvider> make_container_provider() {
  return std::make_unique<ContainerProvider>();
}

std::unique_ptr<CredentialsProvider> make_instance_metadata_provider() {
  return std::make_unique<InstanceMetadataProvider>();
}

}  // namespace nw
