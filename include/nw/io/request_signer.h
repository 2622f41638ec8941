#pragma once
// SigV4 over exactly what goes on the wire, for every signed request the daemon sends
// (Neptune's data plane, the management API): the Host value Poco will send, the path and
// query as sent, the content type of a form, and the body.
#include <optional>
#include <string>

#include "nw/core/failure.h"

namespace Poco::Net {
class HTTPRequest;
}

namespace nw {

class CredentialChain;

// Signs `request` (whose target is `target` and body `body`) for `region` and `service`
// ("neptune-db", "rds") with the chain's credentials. A Failure of kind `credentials` when
// none can be had or they cannot sign: nothing is sent then.
std::optional<Failure> sign_request(Poco::Net::HTTPRequest& request, const std::string& target,
                                    const std::string& body, CredentialChain& credentials,
                                    const std::string& region, const std::string& service);

}  // namespace nw
