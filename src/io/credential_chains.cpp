#include "nw/io/credential_chains.h"

#include "nw/core/aws_role.h"

namespace nw {

CredentialChainKey credential_chain_key(const EndpointConfig& endpoint) {
  CredentialChainKey key{endpoint.profile, endpoint.region, endpoint.role_arn, "", ""};
  if (!endpoint.role_arn.empty()) {
    key.external_id = endpoint.external_id;
    key.role_session_name =
        endpoint.role_session_name.empty() ? kDefaultRoleSessionName : endpoint.role_session_name;
  }
  return key;
}

CredentialChains::CredentialChains(CredentialChainOptions base) : base_(std::move(base)) {}

std::shared_ptr<CredentialChain> CredentialChains::for_endpoint(const EndpointConfig& endpoint) {
  if (endpoint.auth != AuthMode::iam) return nullptr;
  return get(credential_chain_key(endpoint), endpoint.request_timeout);
}

std::shared_ptr<CredentialChain> CredentialChains::get(const CredentialChainKey& key,
                                                       std::chrono::milliseconds request_timeout) {
  std::lock_guard<std::mutex> lock(mutex_);
  return get_locked(key, request_timeout);
}

std::shared_ptr<CredentialChain> CredentialChains::get_locked(
    const CredentialChainKey& key, std::chrono::milliseconds request_timeout) {
  auto& chain = chains_[key];
  if (chain) return chain;
  CredentialChainOptions options = base_;
  options.profile = key.profile;
  options.region = key.region;
  options.request_timeout = request_timeout;
  if (key.role_arn.empty()) {
    chain = std::make_shared<CredentialChain>(std::move(options));
    return chain;
  }
  auto source =
      get_locked(CredentialChainKey{key.profile, key.region, "", "", ""}, request_timeout);
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(make_assume_role_provider(
      std::move(source),
      AssumeRoleSettings{key.role_arn, key.external_id, key.role_session_name, std::nullopt}));
  // `chain` still refers to this key's slot: a std::map's insertions move no element.
  chain = std::make_shared<CredentialChain>(std::move(options), std::move(providers));
  return chain;
}

std::size_t CredentialChains::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return chains_.size();
}

}  // namespace nw
