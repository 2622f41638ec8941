// An endpoint's role: the source chain's credentials, exchanged for the role's with STS.
#include "nw/io/credentials.h"
#include "nw/io/sts.h"

namespace nw {
namespace {

class AssumeRoleProvider final : public CredentialsProvider {
 public:
  AssumeRoleProvider(std::shared_ptr<CredentialChain> source, AssumeRoleSettings role)
      : source_(std::move(source)), role_(std::move(role)) {}

  std::string_view name() const override { return "assume role"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    ProviderAttempt attempt;
    attempt.detail = "role " + role_.role_arn;
    // The role is what the operator asked for: no other source may stand in for it.
    attempt.ends_chain = true;
    auto source = source_->get(request.now);
    if (!source) {
      attempt.outcome = ProviderAttempt::Outcome::failed;
      attempt.failure = source.failure();
      attempt.failure.message =
          "role " + role_.role_arn + ": no source credentials: " + attempt.failure.message;
      return attempt;
    }
    auto assumed = sts_assume_role(request, role_, source.value());
    if (!assumed) {
      const std::string& code = assumed.failure().code;
      if (code == "ExpiredToken" || code == "ExpiredTokenException" ||
          code == "InvalidClientTokenId")
        source_->invalidate(request.now);
      attempt.outcome = ProviderAttempt::Outcome::failed;
      attempt.failure = assumed.failure();
      attempt.failure.message = "role " + role_.role_arn + ": " + attempt.failure.message;
      return attempt;
    }
    attempt.outcome = ProviderAttempt::Outcome::found;
    attempt.credentials = std::move(assumed.value());
    return attempt;
  }

 private:
  std::shared_ptr<CredentialChain> source_;
  AssumeRoleSettings role_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_assume_role_provider(
    std::shared_ptr<CredentialChain> source, AssumeRoleSettings role) {
  return std::make_unique<AssumeRoleProvider>(std::move(source), std::move(role));
}

}  // namespace nw
