#include "nw/sim/sim_tls.h"

#include <Poco/Net/SSLManager.h>

namespace nw::sim {

Poco::Net::Context::Ptr make_server_tls_context(const std::string& certificate_file,
                                                const std::string& private_key_file) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.certificateFile = certificate_file;
  params.privateKeyFile = private_key_file;
  // Neptune does not ask for client certificates.
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.cipherList = "HIGH:!aNULL:!MD5";
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

}  // namespace nw::sim
