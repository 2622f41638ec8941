#include "nw/io/tls_context.h"

#include <Poco/Net/SSLManager.h>

namespace nw {

Poco::Net::Context::Ptr make_client_tls_context(const std::string& ca_file,
                                                const std::string& cert_file,
                                                const std::string& key_file) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = ca_file;
  params.certificateFile = cert_file;
  params.privateKeyFile = key_file;
  params.loadDefaultCAs = ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.cipherList = "HIGH:!aNULL:!MD5";
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

}  // namespace nw
