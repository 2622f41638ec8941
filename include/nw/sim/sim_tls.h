#pragma once
// HTTPS for the simulator (--tls-cert, --tls-key): a server context over a PEM
// certificate (chain) and its key. Which certificate is served is how TLS faults are
// staged: one for another host name, an expired one, one the client does not trust.
#include <string>

#include <Poco/Net/Context.h>

namespace nw::sim {

// Throws Poco::Exception (e.g. SSLContextException) when a file cannot be read or the key
// does not match the certificate. Calls Poco::Net::initializeSSL() first.
Poco::Net::Context::Ptr make_server_tls_context(const std::string& certificate_file,
                                                const std::string& private_key_file);

}  // namespace nw::sim
