#include "nw/io/request_signer.h"

#include <chrono>
#include <stdexcept>

#include <Poco/Net/HTTPRequest.h>

#include "nw/io/credentials.h"
#include "nw/io/sigv4.h"

namespace nw {

std::optional<Failure> sign_request(Poco::Net::HTTPRequest& request, const std::string& target,
                                    const std::string& body, CredentialChain& credentials,
                                    const std::string& region, const std::string& service) {
  const auto now = std::chrono::system_clock::now();
  auto got = credentials.get(now);
  if (!got) {
    Failure f = got.failure();
    f.kind = FailureKind::credentials;
    return f;
  }
  const auto q = target.find('?');
  SigningRequest signing;
  signing.method = request.getMethod();
  signing.path = target.substr(0, q);
  signing.query = q == std::string::npos ? "" : target.substr(q + 1);
  signing.headers.emplace_back("Host", request.getHost());
  if (request.getMethod() == Poco::Net::HTTPRequest::HTTP_POST)
    signing.headers.emplace_back("Content-Type", request.getContentType());
  signing.body = body;
  try {
    sign(signing, got.value(), region, service, now);
  } catch (const std::invalid_argument& e) {
    return Failure{FailureKind::credentials, 0, "",
                   std::string("cannot sign the request: ") + e.what()};
  }
  for (const auto& [name, value] : signing.headers)
    if (name != "Host" && name != "Content-Type") request.set(name, value);
  return std::nullopt;
}

}  // namespace nw
