#pragma once
// The one builder of TLS client contexts, for Neptune and for every credential source.
//
// The certificate chain and the host name are always verified (VERIFY_STRICT, which checks the
// name also for loopback addresses where RELAXED would not), TLS 1.2 at least, and no anonymous
// or MD5 suites. Each client holds the context it was given: nothing process-wide, so a
// client's ca_file never leaks into another's trust.
#include <string>

#include <Poco/Net/Context.h>

namespace nw {

// `ca_file` empty: the system's trust store. `cert_file` and `key_file` (PEM, both or neither):
// a client certificate, for peers that authenticate clients by certificate (etcd's
// --client-cert-auth). Throws Poco::Exception when the trust store or a file cannot be loaded.
Poco::Net::Context::Ptr make_client_tls_context(const std::string& ca_file = {},
                                                const std::string& cert_file = {},
                                                const std::string& key_file = {});

}  // namespace nw
