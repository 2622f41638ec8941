// STS's two credential actions over one code path: endpoint, exchange, error and answer.
#include "nw/io/sts.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include "nw/core/aws_role.h"
#include "nw/core/endpoint_url.h"
#include "nw/core/rfc3339.h"
#include "nw/io/aws_query.h"
#include "nw/io/http_exchange.h"
#include "nw/io/sigv4.h"

namespace nw {
namespace {

constexpr std::size_t kMaxStsBody = 1u << 20;

std::string env_value(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  return value ? *value : std::string();
}

bool valid_region(const std::string& region) {
  return !region.empty() && region.size() <= 64 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-';
         });
}

struct StsEndpoint {
  HttpOrigin origin;
  std::string path = "/";
  std::string url;     // for messages
  std::string region;  // the signing region
};

Result<StsEndpoint> sts_endpoint(const CredentialRequest& request, const std::string& what) {
  std::string region = env_value(request.env, "AWS_REGION");
  if (region.empty()) region = env_value(request.env, "AWS_DEFAULT_REGION");
  if (region.empty()) region = request.region;
  std::string url = env_value(request.env, "AWS_ENDPOINT_URL_STS");
  if (url.empty()) url = env_value(request.env, "AWS_ENDPOINT_URL");
  if (url.empty()) {
    if (!valid_region(region))
      return Failure{FailureKind::service_error, 0, "",
                     what + ": no valid region for STS: set AWS_REGION or the endpoint's region"};
    url = "https://sts." + region + ".amazonaws.com" + (region.rfind("cn-", 0) == 0 ? ".cn" : "") +
          "/";
  } else if (!valid_region(region)) {
    // A custom endpoint without a region: STS's global signing region.
    region = "us-east-1";
  }
  StsEndpoint endpoint;
  endpoint.url = url;
  endpoint.region = region;
  try {
    const Poco::URI uri(url);
    const std::string scheme = uri.getScheme();
    if ((scheme != "https" && scheme != "http") || uri.getHost().empty() ||
        !uri.getUserInfo().empty())
      throw Poco::SyntaxException("not an http(s) URL");
    endpoint.origin.https = scheme == "https";
    endpoint.origin.host = uri.getHost();
    endpoint.origin.port = uri.getPort();
    endpoint.path = uri.getPathEtc().empty() ? "/" : uri.getPathEtc();
  } catch (const Poco::Exception&) {
    return Failure{FailureKind::service_error, 0, "",
                   what + ": STS endpoint " + url + " is not an http(s) URL"};
  }
  if (!endpoint.origin.https && !is_loopback_host(endpoint.origin.host))
    return Failure{FailureKind::service_error, 0, "",
                   what + ": STS endpoint " + url +
                       " must be https (or loopback): credentials would travel in clear"};
  if (endpoint.origin.https) endpoint.origin.tls = request.tls();
  return endpoint;
}

// Printable, bounded, and without any of the request's secrets even if STS were to echo one.
std::string sanitize(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 8) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
      text.replace(pos, secret.size(), "<redacted>");
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return text;
}

// What an operator can do about the codes that have one cause.
std::string hint(const std::string& code, const std::string& region) {
  if (code == "AccessDenied")
    return " (the source identity needs sts:AssumeRole on the role, and the role's trust policy "
           "must allow it, with the same external id)";
  if (code == "RegionDisabledException")
    return " (STS is not activated in " + region +
           " for the account: activate it, or set AWS_ENDPOINT_URL_STS)";
  if (code == "ExpiredToken" || code == "ExpiredTokenException")
    return " (the source credentials have expired)";
  if (code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch")
    return " (the source credentials are not valid)";
  return "";
}

struct StsCall {
  std::string action;
  AwsQueryParams params;
  const AwsCredentials* signer = nullptr;
  std::vector<std::string> secrets;  // never in a message
};

Result<AwsCredentials> sts_call(const CredentialRequest& request, const StsCall& call) {
  const std::string what = "STS " + call.action;
  auto endpoint = sts_endpoint(request, what);
  if (!endpoint) return endpoint.failure();
  const StsEndpoint& e = endpoint.value();

  AwsQueryParams params{{"Action", call.action}, {"Version", "2011-06-15"}};
  params.insert(params.end(), call.params.begin(), call.params.end());
  const std::string body = aws_query_body(params);

  HttpConnections connections(e.origin, request.reaper, 1);
  HttpConnections::Prepare prepare;
  if (call.signer) {
    prepare = [&](Poco::Net::HTTPRequest& http) -> std::optional<Failure> {
      SigningRequest signing;
      signing.method = http.getMethod();
      signing.path = e.path.substr(0, e.path.find('?'));
      const auto q = e.path.find('?');
      signing.query = q == std::string::npos ? "" : e.path.substr(q + 1);
      signing.headers.emplace_back("Host", http.getHost());
      signing.headers.emplace_back("Content-Type", http.getContentType());
      signing.body = body;
      try {
        sign(signing, *call.signer, e.region, "sts", request.now);
      } catch (const std::invalid_argument& error) {
        return Failure{FailureKind::credentials, 0, "",
                       what + ": cannot sign the request: " + error.what()};
      }
      for (const auto& [name, value] : signing.headers)
        if (name != "Host" && name != "Content-Type") http.set(name, value);
      return std::nullopt;
    };
  }
  const HttpCall http_call{Poco::Net::HTTPRequest::HTTP_POST,
                           e.path,
                           {{"Accept", "text/xml"}},
                           body,
                           kAwsQueryContentType,
                           what};
  auto answer =
      connections.exchange(http_call, ExchangeLimits{request.deadline, kMaxStsBody}, prepare);
  if (!answer) return answer.failure();
  const int status = answer.value().status;

  const AwsXml document(answer.value().body);
  Poco::XML::Element* root = document.root();
  if (status / 100 != 2) {
    const auto error = aws_query_error(root);
    if (!error)
      return Failure{
          FailureKind::service_error, status, "",
          what + " answered HTTP " + std::to_string(status) + " without an STS error document"};
    const std::string message = sanitize(error->message, call.secrets);
    return Failure{
        FailureKind::service_error, status, error->code,
        what + ": " + (message.empty() ? "(no message)" : message) + hint(error->code, e.region)};
  }
  Poco::XML::Element* credentials =
      xml_child(xml_child(root, call.action + "Result"), "Credentials");
  if (!root || !credentials)
    return Failure{FailureKind::bad_response, status, "",
                   what + ": the answer is not an " + call.action + "Response"};
  AwsCredentials c;
  c.access_key_id = xml_child_text(credentials, "AccessKeyId");
  c.secret_access_key = xml_child_text(credentials, "SecretAccessKey");
  c.session_token = xml_child_text(credentials, "SessionToken");
  for (auto [field, value] :
       {std::pair<const char*, const std::string*>{"AccessKeyId", &c.access_key_id},
        {"SecretAccessKey", &c.secret_access_key},
        {"SessionToken", &c.session_token}}) {
    if (value->empty())
      return Failure{FailureKind::bad_response, status, "", what + ": the answer has no " + field};
  }
  c.expiration = parse_rfc3339(xml_child_text(credentials, "Expiration"));
  if (!c.expiration)
    return Failure{FailureKind::bad_response, status, "",
                   what + ": Expiration is missing or not an ISO-8601 time"};
  return c;
}

}  // namespace

Result<AwsCredentials> sts_assume_role(const CredentialRequest& request,
                                       const AssumeRoleSettings& role,
                                       const AwsCredentials& source) {
  StsCall call;
  call.action = "AssumeRole";
  call.params = {
      {"RoleArn", role.role_arn},
      {"RoleSessionName", role.session_name.empty() ? kDefaultRoleSessionName : role.session_name}};
  if (!role.external_id.empty()) call.params.emplace_back("ExternalId", role.external_id);
  if (role.duration_seconds)
    call.params.emplace_back("DurationSeconds", std::to_string(*role.duration_seconds));
  call.signer = &source;
  call.secrets = {source.secret_access_key, source.session_token};
  return sts_call(request, call);
}

Result<AwsCredentials> sts_assume_role_with_web_identity(const CredentialRequest& request,
                                                         const std::string& role_arn,
                                                         const std::string& session_name,
                                                         const std::string& token) {
  StsCall call;
  call.action = "AssumeRoleWithWebIdentity";
  call.params = {
      {"RoleArn", role_arn}, {"RoleSessionName", session_name}, {"WebIdentityToken", token}};
  call.secrets = {token};
  return sts_call(request, call);
}

}  // namespace nw
