#pragma once
// The daemon's credential chains, one per identity: what an endpoint (or a cluster, whose
// discovered instances take its settings) signs its Neptune and management requests with.
//
// Chains are keyed by everything that decides the identity: the profile, the region (STS's,
// when a source asks STS), and the role assumed on top with its external id and session name.
// Endpoints with the same key share one chain, so temporary credentials are fetched and
// refreshed once for all of them; different roles never share one. A role's chain asks the
// chain of the same profile and region without a role for its source credentials, so that
// chain too is shared (with the endpoints that sign with it directly, if any).
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "nw/core/config.h"
#include "nw/io/credentials.h"

namespace nw {

struct CredentialChainKey {
  std::string profile;  // empty: AWS_PROFILE, then "default"
  std::string region;
  std::string role_arn;  // empty: the chain's own credentials, no role
  std::string external_id;
  std::string role_session_name;

  bool operator<(const CredentialChainKey& o) const {
    return std::tie(profile, region, role_arn, external_id, role_session_name) <
           std::tie(o.profile, o.region, o.role_arn, o.external_id, o.role_session_name);
  }
};

// The key of an endpoint's settings (`profile`, `region`, `role_arn`, `external_id`,
// `role_session_name`). Without a role, the external id and session name are not part of it.
CredentialChainKey credential_chain_key(const EndpointConfig& endpoint);

class CredentialChains {
 public:
  // `base`: env, log, reaper and timings for every chain (profile and region are the key's).
  explicit CredentialChains(CredentialChainOptions base = {});

  // The chain `endpoint` signs with; null when it does not sign (auth = none). The first
  // endpoint to ask for a key sets its chain's request_timeout.
  std::shared_ptr<CredentialChain> for_endpoint(const EndpointConfig& endpoint);

  std::shared_ptr<CredentialChain> get(const CredentialChainKey& key,
                                       std::chrono::milliseconds request_timeout);

  std::size_t size() const;

 private:
  std::shared_ptr<CredentialChain> get_locked(const CredentialChainKey& key,
                                              std::chrono::milliseconds request_timeout);

  CredentialChainOptions base_;
  mutable std::mutex mutex_;
  std::map<CredentialChainKey, std::shared_ptr<CredentialChain>> chains_;
};

}  // namespace nw
